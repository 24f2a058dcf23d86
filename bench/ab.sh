#!/usr/bin/env bash
# Paired, interleaved timings of two builds of lrsched on the same commands. On a shared,
# noisy machine a run of A and the run of B right after it see about the same load, so the
# median of the per-pair ratios B/A is steadier than two separate hyperfine series.
# Usage: bench/ab.sh A_BIN B_BIN RUNS COMMAND...   where each COMMAND is a quoted argument
# list with BIN where the binary goes, e.g. 'BIN csv --steps 10000000' or
# 'taskset -c 0 BIN check --steps 100000000'. Output goes to /dev/null.
set -euo pipefail
a=$1 b=$2 runs=$3
shift 3
for command in "$@"; do
  ratios=() as=() bs=()
  for ((i = 0; i < runs; i++)); do
    for which in a b; do
      bin=${!which}
      start=$EPOCHREALTIME
      eval "${command//BIN/$bin}" >/dev/null
      end=$EPOCHREALTIME
      t=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }')
      if [[ $which == a ]]; then as+=("$t"); ta=$t; else bs+=("$t"); ratios+=("$(awk -v x="$t" -v y="$ta" 'BEGIN { printf "%.4f", x / y }')"); fi
    done
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  printf '%s\n  A %ss  B %ss  B/A %s (median of %d pairs; B/A range %s..%s)\n' "$command" \
    "$(median "${as[@]}")" "$(median "${bs[@]}")" "$(median "${ratios[@]}")" "$runs" \
    "$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" "$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)"
done
