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
# The Spark linkage engine's equivalence tests need no Neo4j, only a JVM of their own, and
# most of their time is Spark scheduling its jobs; on a whole run they go beside the other
# gates (a pytest process of their own) instead of after them.
spark_tests=tests/integration/test_linkage_spark.py
spark_pid=""
if [ $# -eq 0 ]; then
  spark_log="$(mktemp)"
  pytest "$spark_tests" -q -p no:cacheprovider >"$spark_log" 2>&1 &
  spark_pid=$!
  set -- --ignore="$spark_tests"
fi

gate "ruff check" ruff check .
gate "ruff format --check" ruff format --check .
gate "mypy --strict" mypy --strict openfdp
gate "import-linter" lint-imports
gate "pytest" pytest "$@"
if [ -n "$spark_pid" ]; then
  echo "==> pytest $spark_tests (run beside the others)"
  if wait "$spark_pid"; then tail -n 1 "$spark_log"; else cat "$spark_log"; failed+=("pytest (Spark)"); fi
  rm -f "$spark_log"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "All checks passed."
