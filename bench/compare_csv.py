#!/usr/bin/env python3
"""Checks that `step,multiplier,lr` CSV files agree with the first one, value by value.

    python bench/compare_csv.py REFERENCE.csv OTHER.csv [OTHER.csv ...]

Plain Python (no numpy), so that the check does not rest on the libraries it checks. For
each other file and each float column: how many rows hold the same double as the
reference (bit-identical; the text may still differ, e.g. `1e-7` and `1e-07`), how many
have the same text, the largest absolute difference, and the largest relative difference
|got - want| / |want| (over rows where want != 0), with the step where each occurs.
Exit status 1 if a file has another header, another row count or other steps.
Part of the Python comparison benchmarks (bench/compare.sh); not part of CI.
"""

import math
import struct
import sys

HEADER = "step,multiplier,lr"


def read(path):
    with open(path, encoding="ascii") as f:
        header = f.readline().rstrip("\n")
        steps, texts = [], ([], [])
        for line in f:
            step, multiplier, lr = line.rstrip("\n").split(",")
            steps.append(int(step))
            texts[0].append(multiplier)
            texts[1].append(lr)
    return header, steps, texts


def bits(x):
    return struct.unpack("<q", struct.pack("<d", x))[0]


def compare_column(name, want_text, got_text):
    same_bits = same_text = 0
    max_abs = max_rel = 0.0
    at_abs = at_rel = None
    max_ulps = 0
    for k, (wt, gt) in enumerate(zip(want_text, got_text)):
        if wt == gt:
            same_text += 1
            same_bits += 1
            continue
        want, got = float(wt), float(gt)
        if bits(want) == bits(got):
            same_bits += 1
            continue
        diff = abs(got - want)
        if math.isnan(diff):
            diff = math.inf
        if diff > max_abs or at_abs is None:
            max_abs, at_abs = diff, k
        if want != 0:
            rel = diff / abs(want)
            if rel > max_rel or at_rel is None:
                max_rel, at_rel = rel, k
        if (want > 0) == (got > 0):
            max_ulps = max(max_ulps, abs(bits(got) - bits(want)))
    n = len(want_text)
    out = (
        f"  {name:10} bit-identical {same_bits}/{n}, same text {same_text}/{n}, "
        f"max abs diff {max_abs:.3g}"
    )
    if at_abs is not None:
        out += f" (step {at_abs})"
    out += f", max rel diff {max_rel:.3g}"
    if at_rel is not None:
        out += f" (step {at_rel}), max {max_ulps} ulp apart"
    print(out)
    return same_bits == n


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ref_path, others = sys.argv[1], sys.argv[2:]
    ref_header, ref_steps, ref_texts = read(ref_path)
    status = 0
    if ref_header != HEADER:
        print(f"{ref_path}: header {ref_header!r}, want {HEADER!r}")
        status = 1
    print(f"reference {ref_path}: {len(ref_steps)} rows")
    for path in others:
        header, steps, texts = read(path)
        print(f"{path}: {len(steps)} rows")
        if header != ref_header or steps != ref_steps:
            print(f"  differs from the reference in its header or steps: header {header!r}")
            status = 1
            continue
        identical = all(
            [
                compare_column(name, want, got)
                for name, want, got in zip(("multiplier", "lr"), ref_texts, texts)
            ]
        )
        print(f"  => {'every value bit-identical' if identical else 'NOT bit-identical'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
