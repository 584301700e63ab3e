#!/usr/bin/env bash
# Package size of each Lambda function (issue 9, item 3): the zip Lambda
# receives, `bootstrap` alone inside it, deflated as cargo-lambda does.
#
#   scripts/package-sizes.sh            # x86_64 release builds in target/bench (cargo)
#   scripts/package-sizes.sh --arm64    # what `sam build` deploys: cargo lambda build --release --arm64
#
# The arm64 build needs cargo-lambda (and the zig it brings) on PATH, e.g.
# from the .venv scripts/test.sh makes. Prints one Markdown row a function.
#
# Each function is built on its own, as `sam build` does (CodeUri is the
# function's folder), so that `ferry` gets only the features that function
# names in its Cargo.toml; one cargo run for all would unify them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUNCTIONS=(webhook-intake scheduler transfer-worker dashboard-api reminders hello-world)
OUT=target/bench/package-sizes
rm -rf "$OUT"
mkdir -p "$OUT"

if [ "${1:-}" = "--arm64" ]; then
    export PATH="$PWD/.venv/bin:$PATH"
    for f in "${FUNCTIONS[@]}"; do
        CARGO_TARGET_DIR=target/bench cargo lambda build --release --arm64 --output-format zip \
            --lambda-dir "$OUT/lambda" -p "$f" >&2
    done
    arch=arm64
    zip_of() { echo "$OUT/lambda/$1/bootstrap.zip"; }
else
    for f in "${FUNCTIONS[@]}"; do
        CARGO_TARGET_DIR=target/bench cargo build --release -p "$f" >&2
    done
    arch=x86_64
    zip_of() {
        local dir="$OUT/$1"
        mkdir -p "$dir"
        cp "target/bench/release/$1" "$dir/bootstrap"
        python3 - "$dir" <<'PY'
import sys, zipfile, os
d = sys.argv[1]
with zipfile.ZipFile(os.path.join(d, "bootstrap.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    info = zipfile.ZipInfo.from_file(os.path.join(d, "bootstrap"), "bootstrap")
    with open(os.path.join(d, "bootstrap"), "rb") as f:
        z.writestr(info, f.read(), zipfile.ZIP_DEFLATED, 9)
PY
        echo "$dir/bootstrap.zip"
    }
fi

echo "| function ($arch) | zip | bootstrap |"
echo "| --- | --- | --- |"
for f in "${FUNCTIONS[@]}"; do
    zip=$(zip_of "$f")
    zip_bytes=$(stat -c %s "$zip")
    raw_bytes=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo("bootstrap").file_size)' "$zip")
    python3 -c 'import sys; z, r = int(sys.argv[2]), int(sys.argv[3]); print(f"| {sys.argv[1]} | {z/1e6:.2f} MB | {r/1e6:.2f} MB |")' "$f" "$zip_bytes" "$raw_bytes"
done
