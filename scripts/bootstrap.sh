#!/usr/bin/env bash
# Set up openfdp on a fresh machine: a Python virtualenv with the project and its tools.
# The Neo4j server jars are fetched from Maven Central by `openfdp db start` (once, cached).
# Needs: python3 (3.11+), java 17+, mvn. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in python3 java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is not installed (needed: Python 3.11+, Java 17+, Maven)" >&2
    exit 2
  fi
done

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.openfdp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing openfdp and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
# Headless Chromium drives the browser test of the pathway timeline page.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package) for the browser tests"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) \
      || echo "warning: could not install chromium; the browser test will fail" >&2
  else
    echo "warning: chromium is not installed (needed by the browser test): apt-get install chromium" >&2
  fi
fi
echo "==> environment ready (.venv)"
