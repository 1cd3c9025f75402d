"""deploy/compose.yaml: the official Neo4j 5.26 Community image as the external server.

Docker is not run here; the file is parsed and checked against what openfdp reads: the
variables it documents are the ones the settings honour, the Neo4j settings it passes are
the ones openfdp writes for its own server (so both servers behave alike), and Bolt is
bound to loopback as openfdp's own server is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from openfdp.settings import REPO_ROOT, Settings
from openfdp.store import local_server_setup

COMPOSE = REPO_ROOT / "deploy" / "compose.yaml"
README = REPO_ROOT / "README.md"


def _neo4j() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    service: dict[str, Any] = doc["services"]["neo4j"]
    return service


def _setting_name(env: str) -> str:
    """NEO4J_server_memory_heap_max__size -> server.memory.heap.max_size (the image's rule:
    ``_`` is a dot, ``__`` an underscore)."""
    return env.removeprefix("NEO4J_").replace("__", "\0").replace("_", ".").replace("\0", "_")


def test_the_image_is_the_official_community_image_of_the_same_minor_version() -> None:
    image = _neo4j()["image"]
    assert image == "neo4j:5.26-community"
    minor = ".".join(Settings().neo4j.version.split(".")[:2])
    assert image.split(":")[1].removesuffix("-community") == minor


def test_neo4j_settings_are_those_openfdp_writes_for_its_own_server() -> None:
    env = _neo4j()["environment"]
    ours = {line.split("=")[0] for line in local_server_setup.conf_text(Settings()).splitlines()}
    passed = {_setting_name(k) for k in env if k != "NEO4J_AUTH"}
    assert passed, env
    assert passed <= ours, passed - ours
    assert env["NEO4J_AUTH"].startswith(f"{Settings().neo4j.user}/${{NEO4J_PASSWORD")


def test_ports_are_loopback_only() -> None:
    ports = _neo4j()["ports"]
    assert any(p.endswith(":7687") for p in ports)
    assert all(str(p).startswith("127.0.0.1:") for p in ports)


def test_the_documented_variables_are_the_ones_the_settings_honour(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    documented = set(re.findall(r"\bNEO4J_(URI|USER|USERNAME|PASSWORD|DATABASE)\b", text))
    assert {"URI", "USER", "PASSWORD"} <= documented
    monkeypatch.chdir(tmp_path)  # no .env file
    values = {"URI": "bolt://127.0.0.1:7687", "USER": "neo4j", "USERNAME": "neo4j",
              "PASSWORD": "a-compose-password", "DATABASE": "neo4j"}  # fmt: skip
    for name in documented:
        monkeypatch.setenv(f"NEO4J_{name}", values[name])
    s = Settings()
    assert s.neo4j.external and s.neo4j.effective_uri == values["URI"]
    assert s.neo4j.user == "neo4j" and s.neo4j.password.get_secret_value() == values["PASSWORD"]


def test_the_readme_documents_the_compose_path() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("### Using an external Neo4j", 1)[1].split("\n## ", 1)[0]
    assert "deploy/compose.yaml" in section and "NEO4J_URI" in section
    assert "docker compose -f deploy/compose.yaml up -d" in section
