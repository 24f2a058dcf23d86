#!/usr/bin/env bash
# Whole-process benchmarks of lrsched, reproducing the figures in BENCHMARKS.md.
# Needs hyperfine (apt-get install hyperfine) and GNU time (/usr/bin/time).
# Not part of CI. Usage: bench/run.sh [STEPS]   (default 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10000000}

cargo build --release --quiet --bin lrsched --example csv_floor
bin=target/release/lrsched
floor=target/release/examples/csv_floor
cosine='0.5*(1+cos(pi*step/steps))'

echo "## csv, $steps rows, to /dev/null"
hyperfine --warmup 1 --runs 5 --style basic -N \
  "$floor $steps" \
  "$bin csv --expr '$cosine' --steps $steps" \
  "$bin csv --schedule cosine --warmup 1000 --steps $steps" \
  "$bin csv --schedule CosineAnnealingLR --set T_max=$steps --steps $steps" \
  --output /dev/null

echo "## csv, $steps rows, one core (taskset -c 0)"
hyperfine --warmup 1 --runs 5 --style basic -N \
  "taskset -c 0 $floor $steps" \
  "taskset -c 0 $bin csv --expr '$cosine' --steps $steps" \
  "taskset -c 0 $bin csv --schedule CosineAnnealingLR --set T_max=$steps --steps $steps" \
  --output /dev/null

echo "## start-up"
hyperfine --warmup 3 --runs 50 --style basic -N "$bin table --warmup 5 --steps 10" --output /dev/null

echo "## peak RSS at 3e7 steps (KiB)"
for cmd in "csv" "json" "json --lines" "table" "check" "plot"; do
  rss=$( { /usr/bin/time -f %M $bin $cmd --expr "$cosine" --steps 30000000 >/dev/null; } 2>&1 )
  printf '%-14s %s\n' "$cmd" "$rss"
done

echo "## plot and check, 1e8 and 1e9 steps"
hyperfine --runs 3 --style basic -N \
  "$bin plot --expr '$cosine' --steps 100000000 --width 100" \
  "$bin check --expr '$cosine' --steps 100000000" \
  "$bin plot --expr '$cosine' --steps 1000000000 --width 100" \
  "$bin check --expr '$cosine' --steps 1000000000" \
  --output /dev/null
