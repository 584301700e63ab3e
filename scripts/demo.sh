#!/usr/bin/env bash
# Ferry on one machine with a sandbox shop and ledger, orders flowing, and
# the dashboard up: builds the dashboard (npm in dashboard/) and runs
# `ferry-local --demo`, which prints the dashboard link with a login token.
# Needs Rust and Node (20.19 or newer). Extra arguments go to ferry-local,
# e.g. `scripts/demo.sh --listen 127.0.0.1:9000`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v npm >/dev/null || {
    echo "error: npm is missing: install Node.js 20.19 or newer (it brings npm) and run again" >&2
    exit 1
}

echo "==> building the dashboard (dashboard/dist)"
(
    cd dashboard
    # npm ci only when the lock file changed since the last install.
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund
    fi
    npm run --silent build
)

echo "==> starting ferry-local --demo"
exec cargo run -p ferry-local -- --demo "$@"
