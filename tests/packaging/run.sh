#!/usr/bin/env bash
# Packaging tests, too slow for `cargo test` (each builds lrsched in release): the crate
# that `cargo package` makes, the Python wheel and `pip install .`, `cargo install`, and
# the pre-commit hook. Run from a clean clone (CI's): `cargo package` refuses uncommitted
# changes and `pre-commit try-repo` installs the hook from the HEAD commit.
# Needs python3 (with venv and pip), git, cargo, and the package indexes for maturin and
# pre-commit. Release builds share one cargo target dir, so only the first is slow.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# pre-commit's hook environments live here, not in the user's cache.
export PRE_COMMIT_HOME="$work/pre-commit-home"
# One `lrsched check` for all the files, so the tests see it check several in one run
# (with more cores pre-commit splits the files among parallel runs).
export PRE_COMMIT_NO_CONCURRENCY=1

passed=0
pass() {
    passed=$((passed + 1))
    echo "ok: $1"
}
fail() {
    echo "FAILED: $1" >&2
    echo "packaging: $passed passed, 1 failed"
    exit 1
}

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
commit="$(git rev-parse --short HEAD)"

# What `lrsched table --warmup 5 --steps 10` prints (README.md's first example).
expected_table="$work/table.txt"
cat >"$expected_table" <<'EOF'
Step | Multiplier | Learning Rate
   0 | 0.0        | 0.0
   1 | 0.2        | 0.020000000000000004
   2 | 0.4        | 0.04000000000000001
   3 | 0.6        | 0.06
   4 | 0.8        | 0.08000000000000002
   5 | 1.0        | 0.1
   6 | 1.0        | 0.1
   7 | 1.0        | 0.1
   8 | 1.0        | 0.1
   9 | 1.0        | 0.1
EOF

# An installed lrsched, found on PATH from $1 (a bin directory), runs the README's first
# example and names its version and commit.
check_installed() {
    local bin="$1" how="$2" found
    found="$(PATH="$bin:$PATH" command -v lrsched)"
    [ "$found" = "$bin/lrsched" ] || fail "$how: lrsched on PATH is $found, not $bin/lrsched"
    PATH="$bin:$PATH" lrsched table --warmup 5 --steps 10 >"$work/out.txt" ||
        fail "$how: lrsched table failed"
    diff -u "$expected_table" "$work/out.txt" || fail "$how: lrsched table printed another table"
    local got
    got="$(PATH="$bin:$PATH" lrsched --version)"
    [ "$got" = "lrsched $version ($commit)" ] ||
        fail "$how: lrsched --version says '$got', not 'lrsched $version ($commit)'"
    pass "$how puts a working lrsched $version ($commit) on PATH"
}

# --- crates.io: lean, and it builds on its own -------------------------------------------
cargo package --list --locked >"$work/files.txt" || fail "cargo package --list"
unexpected="$(grep -v -E '^(src/.+\.rs|build\.rs|examples/[a-z_]+\.rs|examples/seed0-(data\.csv|init\.json)|examples/configs/[a-z_]+\.(json|toml|yaml|yml)|assets/fonts/(DejaVuSans\.ttf|LICENSE)|LICENSE-(MIT|APACHE)|README\.md|Cargo\.(toml|toml\.orig|lock)|\.cargo_vcs_info\.json)$' "$work/files.txt" || true)"
[ -z "$unexpected" ] || fail "cargo package ships files a user does not need:
$unexpected"
for needed in src/main.rs src/lib.rs build.rs README.md Cargo.lock examples/seed0-data.csv examples/seed0-init.json; do
    grep -qx "$needed" "$work/files.txt" || fail "cargo package leaves out $needed"
done
pass "cargo package --list is lean ($(wc -l <"$work/files.txt") files)"

# Verifies by building the unpacked crate, away from the repository's other files. In a
# target dir of its own: cargo names the artifacts of a path package by its path relative
# to its workspace, so the unpacked crate's build (no .git, no commit in --version) would
# pass for the checkout's in target/debug.
cargo package --locked --target-dir "$CARGO_TARGET_DIR/package-verify" || fail "cargo package"
crate="$CARGO_TARGET_DIR/package-verify/package/lrsched-$version.crate"
size="$(wc -c <"$crate")"
# The bundled DejaVu Sans (for PNG text without system fonts) is about 450 KB compressed.
[ "$size" -lt 1000000 ] || fail "$crate is $size bytes"
pass "cargo package builds the crate on its own ($size bytes)"
# The verifying build is a whole second debug build; nothing below needs it.
rm -rf "$CARGO_TARGET_DIR/package-verify"

# --- Python wheel, pip install ., cargo install ------------------------------------------
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet "maturin>=1.5,<2" "pre-commit>=4,<5" || fail "pip install maturin pre-commit"

# README's commands: the wheel lands in target/wheels/ (of CARGO_TARGET_DIR).
rm -f "$CARGO_TARGET_DIR"/wheels/lrsched_cli-*.whl
"$work/tools/bin/maturin" build --release --locked || fail "maturin build"
wheels=("$CARGO_TARGET_DIR"/wheels/lrsched_cli-"$version"-*.whl)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] || fail "maturin build made no lrsched_cli $version wheel"
python3 -m venv "$work/wheel-venv"
"$work/wheel-venv/bin/pip" install --quiet --no-index "${wheels[0]}" || fail "pip install the wheel"
check_installed "$work/wheel-venv/bin" "the wheel $(basename "${wheels[0]}")"

python3 -m venv "$work/source-venv"
"$work/source-venv/bin/pip" install --quiet "$root" || fail "pip install ."
check_installed "$work/source-venv/bin" "pip install ."

cargo install --locked --path . --root "$work/cargo-root" || fail "cargo install --locked --path ."
check_installed "$work/cargo-root/bin" "cargo install --locked --path ."

# --- pre-commit ---------------------------------------------------------------------------
pre_commit="$work/tools/bin/pre-commit"
"$pre_commit" try-repo . lrsched-check --color never --verbose \
    --files examples/configs/lr.json examples/configs/lr.toml >"$work/hook.txt" 2>&1 ||
    { cat "$work/hook.txt"; fail "pre-commit try-repo on examples/configs/lr.json and lr.toml"; }
grep -q '^==> examples/configs/lr.toml <==$' "$work/hook.txt" ||
    { cat "$work/hook.txt"; fail "the hook did not check examples/configs/lr.toml"; }
pass "pre-commit try-repo . lrsched-check passes on examples/configs/lr.json and lr.toml"

if "$pre_commit" try-repo . lrsched-check --color never \
    --files tests/packaging/fixtures/negative-lr.json >"$work/hook.txt" 2>&1; then
    cat "$work/hook.txt"
    fail "pre-commit try-repo passed a config whose lr goes negative"
fi
grep -q 'error: lr is negative at step 51: ' "$work/hook.txt" ||
    { cat "$work/hook.txt"; fail "the hook failed, but not on the negative lr"; }
pass "pre-commit try-repo . lrsched-check fails on a config whose lr goes negative"

# A project that uses the hook with assertions in its .pre-commit-config.yaml.
project="$work/project"
mkdir -p "$project/configs"
cp examples/configs/lr.json "$project/configs/good.json"
cp tests/packaging/fixtures/peak-too-high.json "$project/configs/too-high.json"
cat >"$project/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $root
    rev: $(git rev-parse HEAD)
    hooks:
      - id: lrsched-check
        files: ^configs/
        args: [--assert, "peak_lr <= 3e-4", --assert, "peak_step == warmup"]
EOF
git -C "$project" init --quiet
git -C "$project" add .
(cd "$project" && "$pre_commit" run --color never --files configs/good.json) >"$work/hook.txt" 2>&1 ||
    { cat "$work/hook.txt"; fail "pre-commit run with --assert on a good config"; }
if (cd "$project" && "$pre_commit" run --color never --all-files) >"$work/hook.txt" 2>&1; then
    cat "$work/hook.txt"
    fail "pre-commit run passed a config whose assertion fails"
fi
grep -q 'FAILED  peak_lr <= 3e-4 (peak_lr = 0.001)' "$work/hook.txt" ||
    { cat "$work/hook.txt"; fail "the hook failed, but not on peak_lr <= 3e-4"; }
grep -q 'error: 1 of 2 configs failed the check' "$work/hook.txt" ||
    { cat "$work/hook.txt"; fail "the hook did not check both configs"; }
pass "the hook's --assert args pass a good config and fail one whose peak is too high"

echo "packaging: $passed passed, 0 failed"
