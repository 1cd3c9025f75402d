#!/usr/bin/env bash
# Set everything up and run every check: ruff, ruff format, mypy --strict, import-linter and
# the whole pytest suite (unit, integration, api, reliability) against a real Neo4j 5.26
# that the test session starts itself (fetching its jars from Maven Central the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

test_state="${OPENFDP_TEST_STATE_DIR:-$PWD/.openfdp/test}"
test_port="${OPENFDP_TEST_BOLT_PORT:-7697}"
stop_test_server() {
  if [ "${OPENFDP_TEST_KEEP_NEO4J:-0}" != "1" ]; then
    OPENFDP_STATE_DIR="$test_state" OPENFDP_NEO4J__BOLT_PORT="$test_port" openfdp db stop >/dev/null 2>&1 || true
  fi
}
trap stop_test_server EXIT

# Every gate runs even when an earlier one fails, so one run shows every problem.
failed=()
gate() {
  local name="$1"; shift
  echo "==> $name"
  if ! "$@"; then failed+=("$name"); fi
}
# On a whole run (no arguments) pytest runs as three processes side by side, each with its
# own Neo4j server (port and state folder): the integration tests; the unit, API, security
# and reliability tests (port +40); and the two integration files that start servers or JVMs
# of their own, the Spark linkage engine's equivalence tests and the federated demo's four
# instances (port +60). The two side groups start at once, before the gates; the groups
# hold about the same work, and much of each one's time is waiting on a server or a child
# process, so they overlap well even on two cores.
spark_tests=tests/integration/test_linkage_spark.py
fed_tests=tests/integration/test_federated_demo.py
side_tests=(tests/unit tests/api tests/security tests/reliability)
side_port=$((test_port + 40))
side_state="${test_state}-b"
third_port=$((test_port + 60))
third_state="${test_state}-c"
pids=()
logs=()
names=()
if [ $# -eq 0 ]; then
  # the Neo4j jars, fetched from Maven Central once, before the test servers start at once
  python -c "from openfdp.settings import get_settings; from openfdp.store.local_server_setup \
import ensure_jars; ensure_jars(get_settings(), print)"
  third_log="$(mktemp)"
  OPENFDP_TEST_BOLT_PORT="$third_port" OPENFDP_TEST_STATE_DIR="$third_state" \
    pytest "$spark_tests" "$fed_tests" -q -p no:cacheprovider >"$third_log" 2>&1 &
  pids+=($!); logs+=("$third_log"); names+=("pytest $spark_tests $fed_tests")
  side_log="$(mktemp)"
  OPENFDP_TEST_BOLT_PORT="$side_port" OPENFDP_TEST_STATE_DIR="$side_state" \
    pytest "${side_tests[@]}" -p no:cacheprovider >"$side_log" 2>&1 &
  pids+=($!); logs+=("$side_log"); names+=("pytest ${side_tests[*]}")
  set -- tests/integration --ignore="$spark_tests" --ignore="$fed_tests"
fi
stop_side_servers() {
  if [ "${OPENFDP_TEST_KEEP_NEO4J:-0}" != "1" ]; then
    OPENFDP_STATE_DIR="$side_state" OPENFDP_NEO4J__BOLT_PORT="$side_port" openfdp db stop >/dev/null 2>&1 || true
    OPENFDP_STATE_DIR="$third_state" OPENFDP_NEO4J__BOLT_PORT="$third_port" openfdp db stop >/dev/null 2>&1 || true
  fi
}
trap 'stop_test_server; stop_side_servers' EXIT

gate "ruff check" ruff check .
gate "ruff format --check" ruff format --check .
gate "mypy --strict" mypy --strict openfdp
gate "import-linter" lint-imports
gate "pytest $*" pytest "$@"
for i in "${!pids[@]}"; do
  echo "==> ${names[$i]} (run beside the others)"
  if wait "${pids[$i]}"; then tail -n 1 "${logs[$i]}"; else cat "${logs[$i]}"; failed+=("${names[$i]}"); fi
  rm -f "${logs[$i]}"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "All checks passed."
