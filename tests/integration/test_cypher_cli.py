"""`openfdp cypher` on the real Neo4j: no self-asserted identity. Production mode needs a
token; development mode may mint one for --org, and the audit event says so
(identity development_minted, caller_verified false) — docs/security.md §5."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from neo4j import Driver
from openfdp.cli import app
from openfdp.cli import cypher as cypher_cli
from openfdp.services.audit import audit_dir
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog
from tests.api.fixtures_graph import load_test_graph
from tests.conftest import make_test_settings

pytestmark = pytest.mark.integration
QUERY = "MATCH (w:RTTPathway) RETURN w.provider_ods AS trust, count(*) AS n"


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return make_test_settings(state_dir=tmp_path / "state", **overrides)


def _events(s: Settings) -> list[dict[str, object]]:
    return list(AuditLog(audit_dir(s)).events())


def test_production_mode_refuses_an_organisation_without_a_token(
    clean_graph: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _settings(
        tmp_path,
        mode="production",
        api={"jwt_secret": "a-production-secret-of-enough-length-0123456789"},
        privacy={"hmac_key": "a-production-hmac-key-of-enough-length-0123456789"},
    )
    monkeypatch.setattr(cypher_cli, "settings", lambda: s)
    result = CliRunner().invoke(app, ["cypher", QUERY, "--org", "QWO"], env={"COLUMNS": "200"})
    assert result.exit_code != 0
    assert "production mode" in result.output
    assert _events(s) == []  # nothing ran


def test_development_mode_mints_a_labelled_identity(
    clean_graph: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_test_graph(clean_graph)
    s = _settings(tmp_path)
    monkeypatch.setattr(cypher_cli, "settings", lambda: s)
    result = CliRunner().invoke(
        app, ["cypher", QUERY, "--org", "qwo", "--sub", "dev-1", "--json"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    [event] = _events(s)
    assert event["identity"] == "development_minted"
    assert event["caller_verified"] is False
    assert event["organisation"] == "QWO"
    assert event["subject"] == "dev-1"


def test_a_token_is_verified_and_recorded_as_such(
    clean_graph: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_test_graph(clean_graph)
    s = _settings(tmp_path)
    monkeypatch.setattr(cypher_cli, "settings", lambda: s)
    token = mint_token(s, "analyst-1", "QWO", ["analyst"], "research")
    result = CliRunner().invoke(
        app, ["cypher", QUERY, "--token", token, "--json"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert '"suppressed_rows": 0' in result.output
    [event] = _events(s)
    assert (event["identity"], event["caller_verified"]) == ("verified_token", True)
    forged = CliRunner().invoke(
        app, ["cypher", QUERY, "--token", token + "x"], env={"COLUMNS": "200"}
    )
    assert forged.exit_code != 0
