"""The project's house rules on module size ("modules ≤ 300 lines, median ≤ 120"): no module
of the ``openfdp`` package has more than 300 lines, and the median module has at most 120.

There are no exceptions: a module that grows past the limit is split into cohesive
smaller modules.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

import openfdp

pytestmark = pytest.mark.unit

PACKAGE = Path(openfdp.__file__).resolve().parent
MAX_LINES = 300
MAX_MEDIAN = 120


def module_lengths(package: Path) -> dict[str, int]:
    """Line count of every ``.py`` file under ``package``, by path from its parent folder."""
    return {
        path.relative_to(package.parent).as_posix(): len(
            path.read_text(encoding="utf-8").splitlines()
        )
        for path in sorted(package.rglob("*.py"))
    }


def oversize(lengths: dict[str, int]) -> dict[str, int]:
    """The modules over MAX_LINES, with their line counts."""
    return {name: n for name, n in lengths.items() if n > MAX_LINES}


def test_the_counting_sees_a_long_module(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""A package."""\n', encoding="utf-8")
    (package / "sub" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (package / "sub" / "short.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    lengths = module_lengths(package)
    assert lengths == {"pkg/__init__.py": 1, "pkg/sub/long.py": 301, "pkg/sub/short.py": 300}
    assert oversize(lengths) == {"pkg/sub/long.py": 301}


def test_no_module_has_more_than_300_lines() -> None:
    lengths = module_lengths(PACKAGE)
    assert len(lengths) > 50, lengths  # the package was found
    too_long = oversize(lengths)
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"


def test_the_median_module_has_at_most_120_lines() -> None:
    median = statistics.median(module_lengths(PACKAGE).values())
    assert median <= MAX_MEDIAN, f"median module length {median} > {MAX_MEDIAN}"
