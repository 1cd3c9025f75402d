"""A clone of the repository alone is enough: the demo generator and the demo's feeds read only
files inside the repository (openfdp/data), never a sibling folder such as ../shared."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openfdp.cli.demo import DATA_DIR, DEMO_FEEDS
from openfdp.settings import REFERENCE_DATA_DIR, REPO_ROOT

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


def test_no_module_reads_a_sibling_folder() -> None:
    for path in (REPO_ROOT / "openfdp").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert '"shared"' not in text and "../shared" not in text, path


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
