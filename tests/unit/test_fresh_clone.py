"""A clone of the repository alone is enough: the demo generator, the demo's feeds and the tests
read only files inside the repository (openfdp/data, tests/data), never a sibling folder such
as ../shared."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openfdp.cli.demo import DATA_DIR, DEMO_FEEDS
from openfdp.settings import REFERENCE_DATA_DIR, REPO_ROOT
from tests.data_paths import TEST_DATA_DIR

pytestmark = pytest.mark.unit


def _tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in out.decode().split("\0") if name]


def test_demo_data_lives_inside_the_package() -> None:
    assert DATA_DIR == REFERENCE_DATA_DIR
    assert REFERENCE_DATA_DIR.is_relative_to(REPO_ROOT / "openfdp")
    for _feed, folders in DEMO_FEEDS:
        for folder in folders:
            readme = REFERENCE_DATA_DIR / folder / "README.md"
            assert readme.is_file(), f"{folder} needs a README with its source and licence"
            text = readme.read_text(encoding="utf-8").lower()
            assert "licen" in text and "source" in text, f"{folder}/README.md: source + licence"


# a path into a folder beside the clone: "../shared", or REPO_ROOT.parent / "shared" / ...
SIBLING = re.compile(
    r"""\.\./shared\b|\.parent\s*/\s*["']shared["']|["']shared["']\s*/\s*["']data["']"""
)
SCANNED = ("openfdp/", "tests/", "scripts/", "bench/", ".ci/")
SCANNED_SUFFIXES = (".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml")


def sibling_paths(text: str) -> list[str]:
    return [m.group(0) for m in SIBLING.finditer(text)]


def test_the_sibling_path_check_can_fail() -> None:
    assert sibling_paths('DATA = REPO_ROOT.parent / "shared" / "data"')
    assert sibling_paths("cat ../shared/data/etr.csv")
    assert sibling_paths("x = ROOT.parent / 'shared'")
    assert not sibling_paths('"shared" NHS numbers; REFERENCE_DATA_DIR / "nhs-ods-jhau-nhs-spend"')


def test_no_tracked_file_reads_a_sibling_folder() -> None:
    """Product, tests, scripts, benches and CI read data inside the repository only
    (openfdp/data, tests/data), so the test command passes in a fresh clone."""
    here = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()
    scanned = [
        name
        for name in _tracked_files()
        if name.startswith(SCANNED)
        and (name.endswith(SCANNED_SUFFIXES) or name.startswith((".ci/", "scripts/")))
        and name != here
    ]
    assert any(n.startswith("tests/unit/test_formats") for n in scanned)
    found = {
        name: hits
        for name in scanned
        if (REPO_ROOT / name).is_file()
        and (hits := sibling_paths((REPO_ROOT / name).read_text(encoding="utf-8")))
    }
    assert found == {}


def test_test_data_folders_give_source_and_licence() -> None:
    for folder in sorted(p for p in TEST_DATA_DIR.iterdir() if p.is_dir()):
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder.name} needs a README with its source and licence"
        text = readme.read_text(encoding="utf-8").lower()
        assert "licen" in text and "source" in text, f"{folder.name}/README.md: source + licence"


def test_demo_generate_runs_from_a_copy_with_no_sibling_folders(tmp_path: Path) -> None:
    root = tmp_path / "clone"
    for name in _tracked_files():
        src = REPO_ROOT / name
        if src.is_file():
            dest = root / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    assert not (tmp_path / "shared").exists()
    out = tmp_path / "extracts"
    env = {**os.environ, "PYTHONPATH": str(root), "OPENFDP_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-c",
         "import openfdp, sys; from openfdp.cli import main; "
         "print('package:', openfdp.__file__, file=sys.stderr); "
         "sys.argv = ['openfdp', 'demo', 'generate', '--out', sys.argv[1], '--patients', '60']; "
         "main()", str(out)],
        check=False, cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"package: {root}" in done.stderr  # the copy ran, not the working tree
    answers = list(csv.DictReader((out / "answers.csv").open(encoding="utf-8")))
    assert answers, "the generator wrote no answers"
    assert len(list(out.glob("*.csv"))) > 3
