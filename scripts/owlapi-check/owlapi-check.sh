#!/usr/bin/env bash
# Open the ontology as Protégé does (OWL API 5, imports resolved through catalog-v001.xml only)
# and check the OWL 2 DL profile. Needs Java 17+ and Maven (the OWL API comes from Maven Central).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cp_file="$(mktemp)"
mvn -q -f "$here/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
java -cp "$(cat "$cp_file")" "$here/ProtegeCheck.java" "$here/../../openfdp/ontology/source"
