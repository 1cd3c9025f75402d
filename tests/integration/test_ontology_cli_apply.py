"""`openfdp ontology apply` against the real Neo4j: applies, then reports nothing to do."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from neo4j import Driver
from openfdp.cli import app
from openfdp.cli import ontology as ontology_cli
from openfdp.ontology import load_ontology
from openfdp.settings import Settings

pytestmark = pytest.mark.integration


def test_apply_command_is_idempotent(
    clean_graph: Driver, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ontology_cli, "settings", lambda: test_settings)
    clean_graph.execute_query("MATCH (v:OntologyVersion) DETACH DELETE v")
    runner = CliRunner()
    first = runner.invoke(app, ["ontology", "apply"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    version = load_ontology().version
    assert f"Ontology {version} applied" in first.output
    second = runner.invoke(app, ["ontology", "apply"], env={"COLUMNS": "200"})
    assert second.exit_code == 0, second.output
    assert "already applied; nothing changed" in second.output
    assert "0 constraints and 0 indexes created" in second.output
    assert "0 created, 0 updated" in second.output
    records, _, _ = clean_graph.execute_query("MATCH (v:OntologyVersion) RETURN v.version AS v")
    assert [r["v"] for r in records] == [version]
