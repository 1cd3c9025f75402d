"""Reading the two sides of `openfdp ontology diff` and printing the comparison: a side is an
ontology folder or ``REV:PATH`` in the current git repository (read with ``git ls-tree`` and
``git show``, so no checkout is needed); the result is printed as one table row per change
with its effect on the graph and on GraphQL and how to migrate, then a one-line verdict.
Every problem reading a side is an :class:`~openfdp.ontology.OntologyError` naming it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from openfdp.cli._common import console
from openfdp.ontology import Ontology, OntologyError, compile_sources, load_ontology


def resolve(spec: str) -> Ontology:
    """A folder, or ``REV:PATH`` in the current git repository (e.g. ``HEAD~1:ontology/source``)."""
    folder = Path(spec)
    if folder.is_dir():
        return load_ontology(folder)
    if ":" not in spec:
        raise OntologyError(f"{spec!r} is neither a folder nor a git revision (REV:PATH)")
    rev, _, path = spec.partition(":")
    path = path.rstrip("/")
    names = _git("ls-tree", "--name-only", f"{rev}:{path}", spec=spec).splitlines()
    ttl = [n for n in names if n.endswith(".ttl")]
    if not ttl:
        raise OntologyError(f"{spec}: no .ttl files at that revision and path")
    return compile_sources({n: _git("show", f"{rev}:{path}/{n}", spec=spec) for n in ttl})


def _git(*args: str, spec: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OntologyError(f"{spec}: cannot run git: {exc}") from exc
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git exited with {done.returncode}"
        raise OntologyError(f"{spec}: not a readable git revision and path ({reason})")
    return done.stdout


def print_diff(d: dict[str, Any]) -> None:
    """The comparison (``OntologyDiff.to_dict()``) as a table and a verdict line."""
    if d["changes"]:
        table = Table(show_edge=False)
        for col in ("", "change", "graph", "GraphQL", "migration"):
            table.add_column(col)
        for c in d["changes"]:
            mark = "[red]BREAKING[/red]" if c["breaking"] else "[green]ok[/green]"
            table.add_row(
                mark,
                escape(f"{c['subject']}: {c['detail']}"),
                c["graph"],
                c["graphql"],
                escape(c["hint"]),
            )
        console.print(table)
    counts = d["counts"]
    verdict = "[red]breaking[/red]" if d["breaking"] else "[green]not breaking[/green]"
    console.print(
        f"{d['old_version']} -> {d['new_version']}: {counts['total']} changes, "
        f"{counts['breaking']} breaking, {counts['additive']} additive: {verdict}"
    )
