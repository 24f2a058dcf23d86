#!/usr/bin/env python3
"""The cosine schedule as `lrsched csv` writes it, taken from a PyTorch LambdaLR loop.

    python bench/torch_lambdalr.py [--no-opt-step] [STEPS] [OUT]   (defaults: 1000000, stdout)

Same CSV as `lrsched csv --expr "0.5*(1+cos(pi*step/steps))" --steps STEPS` (base lr 0.1):
header `step,multiplier,lr`, one row a step. Row k holds `opt.param_groups[0]["lr"]` after k
calls of `sched.step()`, recorded in the loop users write:

    lr = opt.param_groups[0]["lr"]; opt.step(); sched.step()

The parameter has no gradient, so `opt.step()` goes through the optimizer's Python
machinery but updates nothing. `--no-opt-step` leaves `opt.step()` out (the scheduler
alone; torch then warns once, which is silenced here).

The multiplier column is the value the lambda returned for that step: LambdaLR calls the
lambda once per `sched.step()` (and once on construction, for step 0), and the lambda
keeps its last value. Floats are written with Python's repr (f-strings), the shortest
round-trip text in Python's notation (`1e-07`), as lrsched writes them.

With LRSCHED_BENCH_PHASES=1 the time of each phase goes to stderr: import, setup (building
SGD and LambdaLR; the first optimizer imports some 900 more modules, ~1 s), loop, write.
Part of the Python comparison benchmarks (bench/compare.sh); not part of CI.
"""

import contextlib
import math
import os
import re
import sys
import time
import warnings

t0 = time.perf_counter()
import torch  # noqa: E402
from torch.optim.lr_scheduler import LambdaLR  # noqa: E402

t1 = time.perf_counter()

BASE_LR = 0.1


def main() -> None:
    args = sys.argv[1:]
    opt_step = True
    if args and args[0] == "--no-opt-step":
        opt_step = False
        args = args[1:]
        warnings.filterwarnings("ignore", message=re.escape("Detected call of `lr_scheduler.step()`"))
    steps = int(args[0]) if args else 1_000_000
    out = args[1] if len(args) > 1 else None

    last = [0.0]

    def cosine(step: int) -> float:
        m = 0.5 * (1 + math.cos(math.pi * step / steps))
        last[0] = m
        return m

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=BASE_LR)
    sched = LambdaLR(opt, cosine)
    t_setup = time.perf_counter()

    multipliers = [0.0] * steps
    lrs = [0.0] * steps
    if opt_step:
        for k in range(steps):
            multipliers[k] = last[0]
            lrs[k] = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
    else:
        for k in range(steps):
            multipliers[k] = last[0]
            lrs[k] = opt.param_groups[0]["lr"]
            sched.step()
    t2 = time.perf_counter()

    to_stdout = out is None or out == "-"
    handle = sys.stdout if to_stdout else open(out, "w", encoding="ascii")
    with contextlib.nullcontext() if to_stdout else handle:
        handle.write("step,multiplier,lr\n")
        chunk = 65536
        for start in range(0, steps, chunk):
            end = min(start + chunk, steps)
            handle.write(
                "".join(f"{k},{multipliers[k]!r},{lrs[k]!r}\n" for k in range(start, end))
            )
        handle.flush()
    t3 = time.perf_counter()

    if os.environ.get("LRSCHED_BENCH_PHASES"):
        print(
            f"torch_lambdalr{'' if opt_step else ' --no-opt-step'}: import {t1 - t0:.3f} s, "
            f"setup {t_setup - t1:.3f} s, loop {t2 - t_setup:.3f} s, write {t3 - t2:.3f} s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
