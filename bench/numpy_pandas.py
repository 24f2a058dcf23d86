#!/usr/bin/env python3
"""The cosine schedule as `lrsched csv` writes it, made with numpy and pandas.

    python bench/numpy_pandas.py [STEPS] [OUT]     (defaults: 1000000, stdout)

Same CSV as `lrsched csv --expr "0.5*(1+cos(pi*step/steps))" --steps STEPS` (base lr 0.1):
header `step,multiplier,lr`, one row a step. The multiplier is computed vectorised, with
the operations in the order Python (and lrsched) evaluate the expression: pi*step first,
then /steps, cos, 1+, 0.5*; the lr is base_lr * multiplier as torch's LambdaLR computes it.

Floats are written by pandas with `float_format=None`, i.e. numpy's shortest round-trip
text (`0.09045084971874738`, `2.220662542740115e-12`): the same doubles as lrsched writes,
in the same notation, Python's (`1e-07`).

With LRSCHED_BENCH_PHASES=1 the time of each phase (imports, compute, write) goes to stderr.
Part of the Python comparison benchmarks (bench/compare.sh); not part of CI.
"""

import os
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

t1 = time.perf_counter()

BASE_LR = 0.1


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = sys.argv[2] if len(sys.argv) > 2 else None

    step = np.arange(steps, dtype=np.int64)
    multiplier = 0.5 * (1.0 + np.cos(np.pi * step / steps))
    lr = BASE_LR * multiplier
    frame = pd.DataFrame({"step": step, "multiplier": multiplier, "lr": lr})
    t2 = time.perf_counter()

    if out is None or out == "-":
        frame.to_csv(sys.stdout, index=False, float_format=None, lineterminator="\n")
        sys.stdout.flush()
    else:
        frame.to_csv(out, index=False, float_format=None, lineterminator="\n")
    t3 = time.perf_counter()

    if os.environ.get("LRSCHED_BENCH_PHASES"):
        print(
            f"numpy_pandas: import {t1 - t0:.3f} s, compute {t2 - t1:.3f} s, "
            f"write {t3 - t2:.3f} s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
