#!/usr/bin/env bash
# Ferry's one test command: formatting, lints, the SAM template, every crate's
# tests (with the AWS emulator), and the Lambda functions run under the
# cargo-lambda emulator. Needs Rust, Python 3 and Node; installs the rest
# (moto, cfn-lint, cargo-lambda) into .venv in the repository.
#
#   scripts/test.sh
#
# Exits non-zero on the first failure and always stops what it started.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# The tests' sandbox shops and ledgers listen on loopback, a private
# address Ferry refuses to connect to unless this is set (README).
export FERRY_ALLOW_PRIVATE_NETWORKS=1
VENV=$ROOT/.venv
WORK=$ROOT/target/ferry-test # logs and scratch files; /target is ignored by git
STARTED=$SECONDS
PIDS=() # process groups started here, stopped on exit

step() { printf '\n==> %s\n' "$*"; }
fail() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Stops one process started by start_background, with its children (each
# runs in its own process group).
stop_background() {
    local pid=$1 kept=() p
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || kept+=("$p")
    done
    PIDS=("${kept[@]}")
}

stop_started() {
    while [ "${#PIDS[@]}" -gt 0 ]; do
        stop_background "${PIDS[0]}"
    done
}

on_exit() {
    local status=$?
    trap - EXIT INT TERM
    stop_started
    local took=$((SECONDS - STARTED))
    if [ "$status" -eq 0 ]; then
        printf '\nPASS: format, clippy, cfn-lint, all tests and the Lambda emulator run passed in %dm%02ds\n' $((took / 60)) $((took % 60))
    else
        printf '\nFAIL: scripts/test.sh stopped with status %d after %dm%02ds (see the output above; logs in %s)\n' \
            "$status" $((took / 60)) $((took % 60)) "${WORK#"$ROOT"/}" >&2
    fi
    exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a command in the background in its own process group (so that its
# children are stopped with it) and remembers it for on_exit.
start_background() {
    local log=$1
    shift
    if command -v setsid >/dev/null; then
        setsid "$@" >"$log" 2>&1 &
    else
        set -m
        "$@" >"$log" 2>&1 &
        set +m
    fi
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something listens on 127.0.0.1:$1, or fails after $2 seconds
# (or at once if process $3 has died).
wait_for_port() {
    local port=$1 seconds=$2 pid=$3 log=$4
    local deadline=$((SECONDS + seconds))
    until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$port" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || {
            cat "$log" >&2
            fail "the process for port $port exited early (log above)"
        }
        [ "$SECONDS" -lt "$deadline" ] || {
            cat "$log" >&2
            fail "nothing answered on port $port after ${seconds}s (log above)"
        }
        sleep 0.5
    done
}

# --- Tools ------------------------------------------------------------------

install_tools() {
    step "Python tools in .venv (moto, cfn-lint, cargo-lambda)"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV" || fail "could not create .venv; on Debian or Ubuntu install python3-venv (apt-get install python3-venv) and run again"
    fi
    # `pip show` fails if any of them is missing; flask and flask-cors come with moto[server].
    if ! "$VENV/bin/pip" show moto flask flask-cors cfn-lint cargo-lambda >/dev/null 2>&1; then
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            "moto[server]>=5,<6" "cfn-lint>=1,<2" "cargo-lambda>=1,<2"
    fi
    export PATH="$VENV/bin:$PATH"
    command -v moto_server >/dev/null || fail "moto_server is missing from .venv/bin"
    command -v cargo-lambda >/dev/null || fail "cargo-lambda is missing from .venv/bin"
    echo "moto $(pip show moto | sed -n 's/^Version: //p'), $(cfn-lint --version), $(cargo lambda --version)"
}

# --- The AWS emulator ------------------------------------------------------

start_emulator() {
    step "AWS emulator (moto_server)"
    local port
    port=$(free_port)
    # moto's own server, with DynamoDB's conditional writes made atomic as
    # they are on AWS (see scripts/moto_server.py).
    start_background "$WORK/moto.log" "$VENV/bin/python" scripts/moto_server.py -H 127.0.0.1 -p "$port"
    wait_for_port "$port" 60 "$LAST_PID" "$WORK/moto.log"
    export FERRY_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    # Never wait for an instance-metadata service that is not there.
    export AWS_EC2_METADATA_DISABLED=true
    echo "listening at $FERRY_TEST_AWS_ENDPOINT"
}

# --- The Lambda functions under cargo-lambda's emulator ---------------------

# Serves the workspace's function binaries with `cargo lambda watch`, invokes
# transfer-worker with an SQS batch, webhook-intake with a function-URL
# request and scheduler with an EventBridge schedule event
# (tests/lambda/*.json), and checks what they answer. The
# functions talk to the AWS emulator: the table is created from
# infra/template.yaml, so the template and the code must agree on it.
run_lambda_emulator_tests() {
    step "Lambda functions under cargo lambda watch"
    local fn
    for fn in transfer-worker scheduler webhook-intake; do
        if grep -Eq '^fn main\(\) *\{ *\}' "functions/$fn/src/main.rs"; then
            fail "functions/$fn/src/main.rs is still an empty placeholder; the Lambda emulator test needs the real function"
        fi
    done

    # Build first, so the invocations below do not wait for the compiler.
    cargo build --quiet -p transfer-worker -p scheduler -p webhook-intake

    local suffix table queues queue_url dead_letter_url env_file
    suffix=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:12])')
    table="ferry-lambda-$suffix"
    queues=$(python3 - "$table" <<'PY'
import sys
import boto3
from cfnlint.decode import decode

endpoint = __import__("os").environ["FERRY_TEST_AWS_ENDPOINT"]
template, problems = decode("infra/template.yaml")
if problems:
    sys.exit(f"infra/template.yaml does not parse: {problems}")
props = template["Resources"]["Table"]["Properties"]
wanted = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
boto3.client("dynamodb", endpoint_url=endpoint).create_table(
    TableName=sys.argv[1], **{k: props[k] for k in wanted if k in props}
)
sqs = boto3.client("sqs", endpoint_url=endpoint)
print(sqs.create_queue(QueueName=sys.argv[1])["QueueUrl"])
print(sqs.create_queue(QueueName=sys.argv[1] + "-dead")["QueueUrl"])
PY
)
    queue_url=$(sed -n 1p <<<"$queues")
    dead_letter_url=$(sed -n 2p <<<"$queues")

    # Values in single quotes: cargo-lambda's parser refuses a bare `=` in one.
    env_file="$WORK/lambda.env"
    {
        echo "AWS_ENDPOINT_URL='$FERRY_TEST_AWS_ENDPOINT'"
        echo "AWS_ACCESS_KEY_ID='test'"
        echo "AWS_SECRET_ACCESS_KEY='test'"
        echo "AWS_REGION='us-east-1'"
        echo "AWS_EC2_METADATA_DISABLED='true'"
        echo "FERRY_TABLE='$table'"
        echo "FERRY_QUEUE_URL='$queue_url'"
        echo "FERRY_DEAD_LETTER_QUEUE_URL='$dead_letter_url'"
        echo "FERRY_SEAL_KEY='$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')'"
        echo "FERRY_JWT_KEY='$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')'"
        echo "FERRY_MAIL_FROM='alerts@ferry.example'"
        echo "FERRY_PUBLIC_URL='http://127.0.0.1:8080'"
        echo "RUST_LOG='info'"
    } >"$env_file"

    # One watch per function: `cargo run` at the root only sees the default
    # members, so each function is served from its own manifest.
    invoke() {
        local function=$1 event=$2 out=$3 port log="$WORK/lambda-watch-$1.log"
        port=$(free_port)
        start_background "$log" cargo lambda watch --ignore-changes \
            --manifest-path "functions/$function/Cargo.toml" \
            --invoke-address 127.0.0.1 --invoke-port "$port" --env-file "$env_file"
        local watch_pid=$LAST_PID
        wait_for_port "$port" 300 "$watch_pid" "$log"
        # A function that cannot start leaves the invoke waiting: bound it.
        if ! timeout 300 cargo lambda invoke "$function" --invoke-address 127.0.0.1 --invoke-port "$port" \
            --data-file "tests/lambda/$event" --output-format json >"$out" 2>"$out.err"; then
            cat "$out" "$out.err" >&2
            tail -n 50 "$log" >&2
            fail "$function failed on tests/lambda/$event (its log is above)"
        fi
        stop_background "$watch_pid"
    }

    # transfer-worker: the first record names a transfer the table does not
    # hold (nothing to do: it needs a working store to know that), the second
    # is not a transfer message at all (dropped, since retrying cannot fix
    # it). Neither may crash the function, and neither is left for retry.
    invoke transfer-worker sqs-event.json "$WORK/transfer-worker.out"
    python3 - "$WORK/transfer-worker.out" tests/lambda/sqs-event.json <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
sent = [r["messageId"] for r in json.load(open(sys.argv[2]))["Records"]]
assert isinstance(answer, dict) and isinstance(answer.get("batchItemFailures"), list), \
    f"transfer-worker should answer an SQS batch response, got {answer!r}"
failed = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
assert not failed, f"messages left for retry (is the store reachable, do the template's indexes match?): {failed}"
print(f"transfer-worker handled all {len(sent)} messages of the batch: {json.dumps(answer)}")
PY

    # webhook-intake behind its function URL (what the template deploys):
    # Lambda's function-URL event for a connection the table does not hold
    # reaches Ferry's router (its own 404 body, not a missing route) and
    # comes back as a function-URL answer.
    invoke webhook-intake function-url-webhook.json "$WORK/webhook-intake.out"
    python3 - "$WORK/webhook-intake.out" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
assert isinstance(answer, dict) and answer.get("statusCode") == 404, \
    f"webhook-intake should answer 404 for an unknown connection, got {answer!r}"
body = json.loads(answer.get("body") or "{}")
assert "no connection with this id" in json.dumps(body), f"not Ferry's answer: {answer!r}"
print(f"webhook-intake answered the function-URL event: {answer['statusCode']} {answer['body']}")
PY

    # scheduler: one pass over an empty table succeeds and has nothing to do.
    invoke scheduler eventbridge-scheduled-event.json "$WORK/scheduler.out"
    python3 - "$WORK/scheduler.out" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
assert isinstance(answer, dict), f"scheduler should answer its report as a JSON object, got {answer!r}"
busy = {k: v for k, v in answer.items() if isinstance(v, int) and not isinstance(v, bool) and v != 0}
assert not busy, f"scheduler reports work on an empty table: {busy}"
print(f"scheduler answered {json.dumps(answer)}")
PY
}

# --- The dashboard API against its own OpenAPI document -------------------

# Starts ferry-local on a free port with a fresh data folder, creates a
# tenant with the operator token, and runs schemathesis (from PyPI, in
# .venv) against GET /api/v1/openapi.json with that tenant's token: every
# documented operation is fuzzed; no answer may be a 5xx, and every answer
# must match the documented status codes, content type and schema.
# Sign-out-everywhere is left out: it would end the run's own token, and
# every later call would only test the 401 (its own tests are in
# tests/blackbox/api_sign_in.rs).
run_schemathesis() {
    step "schemathesis against ferry-local's OpenAPI document"
    if ! "$VENV/bin/pip" show schemathesis >/dev/null 2>&1; then
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=4,<5"
    fi
    local port data operator token log="$WORK/schemathesis-ferry-local.log"
    port=$(free_port)
    data="$WORK/schemathesis-data"
    rm -rf "$data"
    operator=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
    FERRY_OPERATOR_TOKEN=$operator start_background "$log" \
        target/debug/ferry-local --listen "127.0.0.1:$port" --data-dir "$data"
    local pid=$LAST_PID
    wait_for_port "$port" 60 "$pid" "$log"
    token=$(python3 - "$port" "$operator" <<'PY'
import json, sys, urllib.request
port, operator = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/api/v1/tenants",
    data=json.dumps({"name": "Schemathesis", "email": "fuzz@ferry.example"}).encode(),
    headers={"Authorization": f"Bearer {operator}", "Content-Type": "application/json"},
)
print(json.load(urllib.request.urlopen(request))["token"])
PY
)
    # Run from $WORK: schemathesis keeps a cache folder where it runs.
    (cd "$WORK" && "$VENV/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
        --url "http://127.0.0.1:$port" \
        -H "Authorization: Bearer $token" \
        --exclude-path /api/v1/sign-out-everywhere \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples 50 \
        --generation-deterministic)
    stop_background "$pid"
}

# --- The dashboard ------------------------------------------------------------

# The single-page dashboard in dashboard/ (TypeScript, Preact, Vite).
#   run_dashboard_tests build    npm ci, typecheck, the unit tests (vitest) and
#                                the production build into dashboard/dist; runs
#                                before any Rust build, since release builds
#                                embed dist/ (the ferry-dashboard crate).
#   run_dashboard_tests browser  the browser tests: Debian's Chromium (installed
#                                with apt-get when missing), driven by
#                                playwright-core against target/debug/ferry-local
#                                --demo on a free port; screenshots of every
#                                screen go to target/ferry-test/screenshots/.
run_dashboard_tests() {
    local phase=$1 started=$SECONDS
    command -v npm >/dev/null || fail "npm is missing: install Node.js 20.19 or newer (it brings npm)"
    case "$phase" in
    build)
        step "dashboard: npm ci, typecheck, unit tests, build"
        (
            cd dashboard
            npm ci --no-audit --no-fund --loglevel=error
            npm run --silent typecheck
            npm test --silent
            npm run --silent build
        )
        ;;
    browser)
        step "dashboard: browser tests (Chromium, playwright-core) against ferry-local --demo"
        if [ ! -x /usr/bin/chromium ]; then
            local sudo=()
            [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
            "${sudo[@]}" apt-get update -qq
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
        fi
        [ -x /usr/bin/chromium ] || fail "Chromium is missing and could not be installed (apt-get install chromium)"
        rm -rf "$WORK/screenshots"
        (cd dashboard && FERRY_LOCAL="$ROOT/target/debug/ferry-local" npm run --silent e2e)
        echo "screenshots: ${WORK#"$ROOT"/}/screenshots/"
        ;;
    *) fail "run_dashboard_tests: unknown phase '$phase'" ;;
    esac
    echo "dashboard $phase took $((SECONDS - started))s"
}

# --- The run ----------------------------------------------------------------

mkdir -p "$WORK"
install_tools

# Before any Rust build: release builds embed dashboard/dist.
run_dashboard_tests build

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all crates and targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cfn-lint infra/template.yaml"
cfn-lint infra/template.yaml

start_emulator

step "build the function binaries and ferry-local (the startup tests run them)"
cargo build --workspace --bins --quiet

# Every crate's unit, integration and doc tests. Benchmarks are compiled by
# clippy above but not run here (they take minutes; `cargo bench` runs them).
step "tests (all crates)"
if command -v cargo-nextest >/dev/null; then
    cargo nextest run --workspace --no-fail-fast
    cargo test --workspace --doc # nextest does not run doc tests
else
    cargo test --workspace --no-fail-fast # doc tests included
fi

run_schemathesis

run_dashboard_tests browser

run_lambda_emulator_tests
