#!/usr/bin/env bash
# Set everything up and run the main job: start Neo4j (fetching its jars the first time),
# apply the ontology, generate and load the demo data for one ICS, run linkage, and serve
# the API (GraphiQL) until Ctrl-C. Extra arguments go to `openfdp demo run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/openfdp demo run "$@"
