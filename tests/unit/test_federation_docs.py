"""docs/federation.md: its picture is current and well-formed, and the key management section
names every key of a federated deployment and how each one is rotated."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from types import ModuleType

from openfdp.settings import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def picture_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "federation_picture.py"
    spec = importlib.util.spec_from_file_location("federation_picture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_federation_picture_is_current_well_formed_and_linked() -> None:
    svg = picture_script().draw()
    committed = (DOCS / "federation.svg").read_text(encoding="utf-8")
    assert committed == svg, "run `.venv/bin/python scripts/federation_picture.py`"
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    words = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for shown in ("trust instance", "ICS instance", "signed data product", "receipt"):
        assert shown in words
    doc = (DOCS / "federation.md").read_text(encoding="utf-8")
    assert "](federation.svg)" in doc


def test_key_management_names_every_key_and_its_rotation() -> None:
    doc = (DOCS / "federation.md").read_text(encoding="utf-8")
    for key in (
        "trust pseudonymisation key",
        "ICS pseudonymisation key",
        "ICS linkage key",
        "signing key",
    ):
        assert key.lower() in doc.lower()
        assert f"**{key[0].upper()}{key[1:]}.**" in doc, f"no rotation procedure for {key}"
    for setting in (
        "OPENFDP_PRIVACY__HMAC_KEY",
        "OPENFDP_SHARE__LINKAGE_KEY",
        "OPENFDP_SHARE__KEYS_DIR",
        "OPENFDP_INSTANCE__ROLE",
    ):
        assert setting in doc
    assert "## What an attacker holding one instance's data can and cannot learn" in doc
