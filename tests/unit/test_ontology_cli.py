"""`openfdp ontology validate|show|diff|export` (no database needed; `apply` is an
integration test)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openfdp.cli import app
from openfdp.ontology import SOURCE_DIR

pytestmark = pytest.mark.unit

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "schema.graphql"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ontology", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def copy_without_ontology_version(folder: Path) -> Path:
    shutil.copytree(SOURCE_DIR, folder)
    path = folder / "provenance.ttl"
    text = path.read_text(encoding="utf-8")
    for start in (
        "ofdp:OntologyVersion a owl:Class",
        "ofdp:version a owl:DatatypeProperty",
        "ofdp:applied_at a owl:DatatypeProperty",
    ):
        text = re.sub(re.escape(start) + r".*?\n\n", "", text, count=1, flags=re.S)
    path.write_text(text, encoding="utf-8")
    return folder


def test_validate_the_ontology() -> None:
    code, out = run("validate")
    assert code == 0, out
    assert "35 classes" in out and "valid" in out


def test_validate_instance_data(tmp_path: Path) -> None:
    good = tmp_path / "good.ttl"
    good.write_text(
        "@prefix ofdp: <https://openfdp.org/ontology#> .\n"
        '<urn:x:rr8> a ofdp:NHSTrust ; ofdp:ods_code "RR8" ; ofdp:name "Leeds" .\n',
        encoding="utf-8",
    )
    code, out = run("validate", "--data", str(good))
    assert code == 0, out
    assert "conforms" in out
    bad = tmp_path / "bad.ttl"
    bad.write_text(good.read_text(encoding="utf-8").replace('"RR8"', '"rr-8"'), encoding="utf-8")
    code, out = run("validate", "--data", str(bad))
    assert code == 1, out
    assert "2 violations" in out and "ods_code" in out  # generic and NHS trust formats
    broken = tmp_path / "broken.ttl"
    broken.write_text("<urn:x> a", encoding="utf-8")
    code, out = run("validate", "--data", str(broken))
    assert code == 3 and "not valid Turtle" in out and "Traceback" not in out


def test_validate_a_broken_folder_is_exit_3_without_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, folder)
    (folder / "extra.ttl").write_text(
        "@prefix ofdp: <https://openfdp.org/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "ofdp:Clinic a owl:Class .\n",
        encoding="utf-8",
    )
    code, out = run("validate", "--source", str(folder))
    assert code == 3
    assert "extra.ttl: ofdp:Clinic: class has no key" in out and "Traceback" not in out


def test_show_a_class() -> None:
    code, out = run("show", "RTTPathway")
    assert code == 0, out
    assert "key: (ppid_issuer_ods, ppid)" in out
    assert "(RTTPathway)-[:HAS_EVENT]->(RTTStatusEvent)" in out
    code, out = run("show", "rttpathway")
    assert code == 3 and "did you mean RTTPathway?" in out


def test_diff_with_a_class_removed_exits_1_and_names_the_break(tmp_path: Path) -> None:
    copy = copy_without_ontology_version(tmp_path / "new")
    code, out = run("diff", str(SOURCE_DIR), str(copy))
    assert code == 1, out
    assert "BREAKING" in out and "class OntologyVersion: class OntologyVersion removed" in out
    code, out = run("diff", str(SOURCE_DIR), str(copy), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["breaking"] is True
    removed = [c for c in data["changes"] if c["subject"] == "class OntologyVersion"]
    assert removed[0]["graph"] == "breaking" and removed[0]["graphql"] == "breaking"


def test_diff_additive_only_exits_0(tmp_path: Path) -> None:
    code, out = run("diff", str(copy_without_ontology_version(tmp_path / "old")), str(SOURCE_DIR))
    assert code == 0, out
    assert "not breaking" in out
    code, out = run("diff", str(SOURCE_DIR))
    assert code == 0 and "0 changes" in out


def test_diff_against_a_git_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    shutil.copytree(SOURCE_DIR, tmp_path / "src")
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "src")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "ontology")
    shutil.rmtree(tmp_path / "src")
    copy_without_ontology_version(tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    code, out = run("diff", "HEAD:src", "src")
    assert code == 1, out
    assert "class OntologyVersion removed" in out
    code, out = run("diff", "HEAD:src", "HEAD:src")
    assert code == 0, out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no/such/folder", "neither a folder nor a git revision"),
        ("NO_SUCH_REV:ontology/source", "not a readable git revision and path"),
    ],
)
def test_diff_bad_inputs_exit_3(spec: str, message: str) -> None:
    code, out = run("diff", spec)
    assert code == 3
    assert message in out and "Traceback" not in out


def test_export_formats(tmp_path: Path) -> None:
    code, out = run("export", "--format", "sdl", "--out", str(tmp_path / "s.graphql"))
    assert code == 0, out
    assert (tmp_path / "s.graphql").read_text(encoding="utf-8") == SNAPSHOT.read_text(
        encoding="utf-8"
    )
    code, out = run("export", "--format", "cypher")
    assert code == 0
    assert "REQUIRE (n.`pseudonymisation_domain`, n.`pseudo_id`) IS UNIQUE;" in out
    code, out = run("export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {n["name"] for n in data["node_types"]} >= {"NHSTrust", "RTTPeriod"}
    code, out = run("export", "--format", "png", "--out", str(tmp_path / "o.png"))
    assert code == 0, out
    assert (tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out = run("export", "--format", "svg")
    assert code == 0 and out.startswith("<svg") and ">RTTPathway</text>" in out
    code, out = run("export", "--format", "reference")
    assert code == 0 and "### RTTPathway" in out
    code, out = run("export", "--format", "ttl")
    assert code == 0 and "@prefix ofdp: <https://openfdp.org/ontology#>" in out
    assert "ofdp:NHSTrust a owl:Class" in out


@pytest.mark.parametrize(
    ("args", "message", "expected"),
    [
        (("--format", "xml"), "unknown format", 2),  # usage error
        (("--format", "png"), "needs --out", 2),  # usage error
        (("--format", "sdl", "--out", "/no/such/dir/x.graphql"), "cannot write", 3),  # runtime
    ],
)
def test_export_errors_exit_codes(args: tuple[str, ...], message: str, expected: int) -> None:
    code, out = run("export", *args)
    assert code == expected and message in out
