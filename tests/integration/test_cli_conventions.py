"""Command-line conventions a scheduler relies on: --version, --json, one exit code per kind
of outcome (graph_service/cli/exit_codes.py; the table in README, "Exit codes").

Each exit code has a test here: 0 success, 1 check failed, 2 usage error, 3 runtime failure,
4 configuration error. The commands run as a user runs them (a subprocess of the real entry
point) against the session's real Neo4j where they need one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.cli.exit_codes import ExitCode
from openfdp.ontology import load_ontology
from openfdp.settings import REPO_ROOT, Settings
from openfdp.store import local_server
from openfdp.store.audit_log import LOG_NAME, AuditLog
from openfdp.store.schema import apply_ontology
from tests.reliability.served_api import free_port

pytestmark = pytest.mark.integration


def openfdp(
    state: Path, *args: str, settings: Settings | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(state),
        "COLUMNS": "160",
    }
    if settings is not None:
        base["OPENFDP_NEO4J__BOLT_PORT"] = str(settings.neo4j.bolt_port)
        base["OPENFDP_NEO4J__PASSWORD"] = settings.neo4j.password.get_secret_value()
    base.pop("NEO4J_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args],
        capture_output=True, text=True, env={**base, **env}, timeout=300, check=False,
    )  # fmt: skip


def _json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # one object, nothing else on stdout
    data: dict[str, Any] = json.loads(lines[0])
    return data


def test_version_matches_the_package(tmp_path: Path) -> None:
    done = openfdp(tmp_path, "--version")
    assert done.returncode == ExitCode.OK == 0
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert done.stdout.strip() == f"openfdp {declared}"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args in (["load", "csv", "--no-such-option"], ["nosuch"], ["audit", "verify", "--anchor",
                 "12"], ["load", "csv", str(tmp_path / "missing.csv")]):  # fmt: skip
        done = openfdp(tmp_path, *args)
        assert done.returncode == ExitCode.USAGE == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_runtime_failures_exit_3(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    done = openfdp(tmp_path, "load", "csv", str(odd), "--json")
    assert done.returncode == ExitCode.RUNTIME == 3, done.stderr
    assert "matches none of the trust extracts" in done.stderr and done.stdout == ""
    closed = openfdp(
        tmp_path, "link", "status", "--json", NEO4J_URI=f"bolt://127.0.0.1:{free_port()}"
    )
    assert closed.returncode == ExitCode.RUNTIME, closed.stderr
    assert "Traceback" not in closed.stderr


def test_configuration_errors_exit_4(tmp_path: Path) -> None:
    done = openfdp(tmp_path, "db", "status", OPENFDP_MODE="production")
    assert done.returncode == ExitCode.CONFIG == 4
    assert "production mode refuses the built-in development secrets" in done.stderr
    bad = openfdp(tmp_path, "db", "status", OPENFDP_NEO4J__BOLT_PORT="not-a-port")
    assert bad.returncode == ExitCode.CONFIG and "configuration error" in bad.stderr


def test_audit_verify_json_and_exit_1_when_the_chain_is_broken(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    log.append_many([{"subject": "a", "outcome": "ok"}, {"subject": "b", "outcome": "ok"}])
    log.close()
    ok = openfdp(tmp_path, "audit", "verify", "--json")
    assert ok.returncode == ExitCode.OK, ok.stderr
    report = _json(ok)
    assert report["ok"] is True and report["events"] == 2
    anchored = openfdp(tmp_path, "audit", "verify", "--json", "--anchor", report["anchor"])
    assert anchored.returncode == 0 and _json(anchored)["anchors_matched"] == 1
    path = tmp_path / "audit" / LOG_NAME
    path.write_text(path.read_text().replace('"subject":"b"', '"subject":"c"'))
    broken = openfdp(tmp_path, "audit", "verify", "--json")
    assert broken.returncode == ExitCode.CHECK_FAILED == 1
    failed = _json(broken)
    assert failed["ok"] is False and failed["first_bad"] == 1 and "changed" in failed["reason"]


def test_db_status_json(
    neo4j_server: local_server.ServerInfo, test_settings: Settings, tmp_path: Path
) -> None:
    down = openfdp(tmp_path, "db", "status", "--json", OPENFDP_NEO4J__BOLT_PORT=str(free_port()))
    assert down.returncode == ExitCode.CHECK_FAILED
    assert _json(down)["running"] is False and _json(down)["where"] == "local"
    up = openfdp(
        tmp_path, "db", "status", "--json", settings=test_settings,
        NEO4J_URI=test_settings.neo4j.effective_uri,
    )  # fmt: skip
    assert up.returncode == ExitCode.OK, up.stderr
    status = _json(up)
    assert status["running"] is True and status["where"] == "external"
    assert status["version"].startswith("5.26") and status["edition"] == "community"


def test_load_and_link_json(clean_graph: Driver, test_settings: Settings, tmp_path: Path) -> None:
    apply_ontology(clean_graph, load_ontology())
    staff = tmp_path / "staff.csv"
    staff.write_text("provider_ods,staff_local_id,role_code\nRJ1,E1,CONS\nRJ1,,CONS\n")
    quarantine = str(tmp_path / "q")
    load = openfdp(
        tmp_path, "load", "csv", str(staff), "--json", "--quarantine", quarantine,
        settings=test_settings,
    )  # fmt: skip
    assert load.returncode == ExitCode.CHECK_FAILED, load.stderr  # one record quarantined
    summary = _json(load)
    assert (summary["feed"], summary["read"], summary["loaded"]) == ("csv", 2, 1)
    assert summary["quarantined"] == 1 and summary["reconciles"] is True
    assert Path(summary["quarantine_file"]).exists()
    assert "required field is missing" in json.dumps(summary["quarantined_by_reason"])
    run = openfdp(tmp_path, "link", "run", "--json", settings=test_settings)
    assert run.returncode == ExitCode.OK, run.stderr
    linked = _json(run)
    assert {"persons", "clusters", "links_created", "model_version", "warnings"} <= linked.keys()
    status = openfdp(tmp_path, "link", "status", "--json", settings=test_settings)
    assert status.returncode == ExitCode.OK, status.stderr
    counts = _json(status)
    assert counts["persons"] == linked["persons"] and counts["domain"] == "openfdp-demo-ics"
