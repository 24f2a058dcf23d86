#!/usr/bin/env bash
# The same cosine CSV (header step,multiplier,lr; base lr 0.1) from lrsched, from numpy +
# pandas (bench/numpy_pandas.py) and from a PyTorch LambdaLR loop (bench/torch_lambdalr.py):
# checks that the three agree value by value, then times them (hyperfine, to /dev/null) and
# measures their peak RSS (GNU time). The figures are in bench/python-comparison.md.
#
# Needs hyperfine, GNU time (/usr/bin/time) and a Python with numpy and pandas, and torch
# for the LambdaLR loop (skipped without it), e.g.
#   python3 -m venv ~/pybench && ~/pybench/bin/pip install numpy pandas torch
#   PYTHON=~/pybench/bin/python bench/compare.sh
# Not part of CI.
#
# Usage: bench/compare.sh [STEPS]                 (default 1000000)
# Environment: PYTHON (default python3), RUNS (hyperfine runs of lrsched and numpy+pandas,
# default 10), TORCH_RUNS (of the torch loops, default 5), OUT (where the CSVs and the
# hyperfine exports go, default target/pybench).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-1000000}
runs=${RUNS:-10}
torch_runs=${TORCH_RUNS:-5}
out=${OUT:-target/pybench}
mkdir -p "$out"

# The interpreter itself, not a wrapper such as a pyenv shim (which costs tens of ms a start).
py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
"$py" -c 'import numpy, pandas' || { echo "error: $py lacks numpy or pandas" >&2; exit 1; }
if "$py" -c 'import torch' 2>/dev/null; then have_torch=1; else have_torch=0; fi

cargo build --release --quiet --bin lrsched
bin=target/release/lrsched
cosine='0.5*(1+cos(pi*step/steps))'

lrsched_cmd="$bin csv --expr '$cosine' --steps $steps"
numpy_cmd="$py bench/numpy_pandas.py $steps"
torch_cmd="$py bench/torch_lambdalr.py $steps"
torch_bare_cmd="$py bench/torch_lambdalr.py --no-opt-step $steps"

echo "## machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "load: $(uptime | sed 's/.*load average/load average/')"
echo "$($bin --version); $(rustc --version)"
"$py" - "$have_torch" <<'EOF'
import sys, platform
import numpy, pandas
print(f"Python {platform.python_version()} ({sys.executable})")
print(f"numpy {numpy.__version__}, pandas {pandas.__version__}")
if sys.argv[1] == "1":
    import torch
    print(f"torch {torch.__version__} (CUDA available: {torch.cuda.is_available()})")
else:
    print("torch: not installed; the LambdaLR loop is skipped")
EOF
hyperfine --version

echo
echo "## agreement of the $steps-row CSVs (reference: lrsched)"
$bin csv --expr "$cosine" --steps "$steps" >"$out/lrsched.csv"
"$py" bench/numpy_pandas.py "$steps" "$out/numpy_pandas.csv"
files=("$out/numpy_pandas.csv")
if [ "$have_torch" = 1 ]; then
  "$py" bench/torch_lambdalr.py "$steps" "$out/torch_lambdalr.csv"
  "$py" bench/torch_lambdalr.py --no-opt-step "$steps" "$out/torch_lambdalr_no_opt_step.csv"
  files+=("$out/torch_lambdalr.csv" "$out/torch_lambdalr_no_opt_step.csv")
fi
"$py" bench/compare_csv.py "$out/lrsched.csv" "${files[@]}"
for f in "${files[@]:1}"; do
  if cmp -s "$out/numpy_pandas.csv" "$f"; then
    echo "$f: byte-identical to $out/numpy_pandas.csv"
  else
    echo "$f: NOT byte-identical to $out/numpy_pandas.csv"
  fi
done
wc -c "$out"/*.csv

echo
echo "## time, $steps rows to /dev/null (load: $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine --warmup 1 --runs "$runs" --style basic -N --output /dev/null \
  --export-markdown "$out/fast.md" --export-json "$out/fast.json" \
  "$lrsched_cmd" "$numpy_cmd"
if [ "$have_torch" = 1 ]; then
  echo "(load: $(cut -d' ' -f1-3 /proc/loadavg))"
  hyperfine --warmup 1 --runs "$torch_runs" --style basic -N --output /dev/null \
    --export-markdown "$out/torch.md" --export-json "$out/torch.json" \
    "$torch_cmd" "$torch_bare_cmd"
fi
echo "(load: $(cut -d' ' -f1-3 /proc/loadavg))"

echo
echo "## where the Python time goes (one run each)"
LRSCHED_BENCH_PHASES=1 "$py" bench/numpy_pandas.py "$steps" >/dev/null
if [ "$have_torch" = 1 ]; then
  LRSCHED_BENCH_PHASES=1 "$py" bench/torch_lambdalr.py "$steps" >/dev/null
  LRSCHED_BENCH_PHASES=1 "$py" bench/torch_lambdalr.py --no-opt-step "$steps" >/dev/null
fi

echo
echo "## peak RSS (KiB) of 3 runs, $steps rows to /dev/null"
rss() {
  local label=$1 all="" i
  shift
  for i in 1 2 3; do
    all+=" $({ /usr/bin/time -f %M "$@" >/dev/null; } 2>&1 | tail -n1)"
  done
  printf '%-40s%s\n' "$label" "$all"
}
rss "lrsched csv" $bin csv --expr "$cosine" --steps "$steps"
rss "numpy_pandas.py" "$py" bench/numpy_pandas.py "$steps"
if [ "$have_torch" = 1 ]; then
  rss "torch_lambdalr.py" "$py" bench/torch_lambdalr.py "$steps"
  rss "torch_lambdalr.py --no-opt-step" "$py" bench/torch_lambdalr.py --no-opt-step "$steps"
fi
rss "python -c pass" "$py" -c pass
rss "python -c 'import numpy, pandas'" "$py" -c 'import numpy, pandas'
if [ "$have_torch" = 1 ]; then
  rss "python -c 'import torch'" "$py" -c 'import torch'
fi
