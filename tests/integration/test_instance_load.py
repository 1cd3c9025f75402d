"""A trust instance loads only its own trust's extracts (docs/federation.md, "Instances"):
another provider's records are quarantined with a clear reason and the counts reconcile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.cli.instance import instance_values
from openfdp.cli.instance_env import write_env_file
from openfdp.loaders.generate import generate
from openfdp.ontology import load_ontology
from openfdp.settings import REFERENCE_DATA_DIR, Settings
from openfdp.store.schema import apply_ontology

pytestmark = pytest.mark.integration


def trust_instance(folder: Path, ods: str, test_settings: Settings) -> Path:
    """A trust instance whose Neo4j is the test server (same port and password)."""
    values = instance_values(
        folder, role="trust", ods=ods, bolt_port=test_settings.neo4j.bolt_port, api_port=8749,
        linkage_key="test-linkage-key-0123456789abcdef", linkage_domain="test-linkage",
    )  # fmt: skip
    values["OPENFDP_NEO4J__PASSWORD"] = test_settings.neo4j.password.get_secret_value()
    folder.mkdir(parents=True)
    write_env_file(folder / "instance.env", values)
    return folder


def test_trust_instance_quarantines_other_trusts_records(
    clean_graph: Driver, test_settings: Settings, tmp_path: Path
) -> None:
    if test_settings.neo4j.external:
        pytest.fail("this test drives the CLI against the local test server")
    extracts = tmp_path / "extracts"
    made = generate(extracts, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=40, seed=5)
    own, other = made.trusts
    apply_ontology(clean_graph, load_ontology())
    folder = trust_instance(tmp_path / own, own, test_settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENFDP_")}
    res = subprocess.run(
        [sys.executable, "-m", "openfdp.cli", "--instance", str(folder), "load", "csv",
         str(extracts), "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 1, res.stderr  # records were quarantined
    summary = json.loads(res.stdout)
    assert summary["reconciles"] is True
    foreign = {r: n for r, n in summary["quarantined_by_reason"].items() if "not this trust" in r}
    assert set(foreign) == {
        f"provider {other} is not this trust instance's ODS code ({own}): "
        "a trust instance loads only its own trust's extracts"
    }
    # every row of the other trust's files is refused (waiting-list rows fold into pathways,
    # so count the records of its other extracts exactly and its pathways at least once)
    other_rows = sum(
        sum(1 for _ in p.open(encoding="utf-8")) - 1
        for p in extracts.glob(f"*-{other}.csv")
        if not p.name.startswith("waiting_list")
    )
    assert next(iter(foreign.values())) > other_rows
    q_files = list((folder / "quarantine").glob("*.jsonl"))
    assert q_files, "the refused records are in the instance's own quarantine folder"
    lines = [json.loads(x) for f in q_files for x in f.read_text().splitlines()]
    assert all(x["position"] for x in lines if "not this trust" in x["reason"])
    rows = clean_graph.execute_query(
        "MATCH (n) WHERE n.provider_ods IS NOT NULL RETURN n.provider_ods AS ods, count(*) AS n"
    ).records
    providers = {r["ods"]: r["n"] for r in rows}
    assert set(providers) == {own} and providers[own] > 0
