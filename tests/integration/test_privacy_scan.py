"""After a load, nothing identifying is anywhere: not in any node or relationship property,
not in the log, not in the quarantine files (DESIGN.md habit 5)."""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser, looks_like_valid_nhs_number, normalise_postcode
from openfdp.loaders.readers import trust_csv
from openfdp.ontology import load_ontology
from openfdp.store.schema import apply_ontology
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.integration
#: keyed HMAC tokens and hashes (32+ hex characters): a 10-digit run inside one can pass
#: Modulus 11 by chance, so they are cut out before scanning (they hold no raw identifier)
HEX_TOKEN = re.compile(r"[0-9a-f]{32,}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def test_no_identifier_reaches_the_graph_logs_or_quarantine(
    clean_graph: Driver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    extracts = tmp_path / "in"
    generate(extracts, data_dir=DATA, trusts=2, patients=200, seed=5)
    # plus rows that must be quarantined: their identifiers must not leak into the file
    wl = sorted(extracts.glob("waiting_list-*.csv"))[0]
    rows = list(csv.DictReader(wl.open()))
    with wl.open("a", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writerow({**rows[0], "ppid": "Q1", "activity_date": "not a date"})
        w.writerow({**rows[0], "ppid": "Q2", "tfc": "000"})
    with (extracts / "opt_outs.csv").open("a") as fh:
        fh.write("9434765918\n")  # fails Modulus 11
    nhs, names, postcodes = set(), set(), set()
    for path in extracts.glob("*.csv"):
        for row in csv.DictReader(path.open()):
            if row.get("nhs_number"):
                nhs.add(row["nhs_number"])
            for col in ("given_name", "family_name"):
                if row.get(col):
                    names.add(row[col].lower())
            if row.get("given_name") and row.get("family_name"):
                names.add(f"{row['given_name']} {row['family_name']}".lower())
            full = normalise_postcode(row.get("postcode"))
            if full:
                postcodes |= {full, full.replace(" ", "")}
    assert nhs and names and postcodes

    ontology = load_ontology()
    apply_ontology(clean_graph, ontology)
    qdir = tmp_path / "quarantine"
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"scan-key", domain="scan"), ontology=ontology
    )
    summary = run_load(
        clean_graph, source="csv", outcomes=trust_csv.outcomes([extracts], ctx), ontology=ontology,
        input_fingerprint=fingerprint_files(sorted(extracts.glob("*.csv"))), quarantine_dir=qdir,
    )  # fmt: skip
    assert summary.quarantined == 3 and summary.reconciles

    texts: list[tuple[str, str]] = []
    with clean_graph.session() as session:
        for rec in session.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p"):
            for k, v in rec["p"].items():
                texts += [(f"{rec['l']}.{k}", s) for s in _strings(v)]
        for rec in session.run("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p"):
            for k, v in rec["p"].items():
                texts += [(f"{rec['t']}.{k}", s) for s in _strings(v)]
    texts += [("log", r.getMessage()) for r in caplog.records]
    texts += [(f.name, f.read_text()) for f in qdir.glob("*")]
    assert len(texts) > 10_000

    postcode_re = re.compile("|".join(re.escape(p) for p in sorted(postcodes)), re.IGNORECASE)

    def scan(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        hits = []
        for where, raw in items:
            text = HEX_TOKEN.sub("#", raw)
            hits += [(where, "nhs") for _ in looks_like_valid_nhs_number(text)]
            if text.lower() in names or postcode_re.search(text):
                hits.append((where, "name or postcode"))
        return hits

    # the scan itself finds what it looks for
    sample_nhs = next(n for n in sorted(nhs) if looks_like_valid_nhs_number(n))
    sample_pc = sorted(postcodes)[0]
    assert len(scan([("c", f"x {sample_nhs} y"), ("c", sorted(names)[0]), ("c", sample_pc)])) == 3
    hits = scan(texts)
    assert hits == []
