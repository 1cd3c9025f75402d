"""Checking instance data against the ontology's SHACL shapes, for `openfdp ontology validate
--data`: the Turtle file is parsed, validated with pySHACL against the merged shapes and the
ontology graph, and the violations (first 50) are printed as a table. pySHACL is imported only
when data is given, so the other ontology commands stay quick to start.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from openfdp.cli._common import console
from openfdp.ontology import OntologyError
from openfdp.ontology.compile import ontology_graph, shapes_graph


def validate_data(path: Path, source: Path | None) -> int:
    """Validate one Turtle file; print what it breaks and return the number of violations."""
    from pyshacl import validate as shacl_validate  # heavy; only when data is given  # noqa: PLC0415
    from rdflib import Graph  # noqa: PLC0415
    from rdflib.namespace import SH  # noqa: PLC0415

    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise OntologyError(
            f"{path}: not valid Turtle: {' '.join(str(exc).split())[:300]}"
        ) from exc
    conforms, results, _ = shacl_validate(
        g, shacl_graph=shapes_graph(), ont_graph=ontology_graph(source), inference="none"
    )
    found = list(results.subjects(SH.resultSeverity, SH.Violation))
    if conforms:
        console.print(f"{path}: [green]conforms[/green] ({len(g)} triples)")
        return 0
    table = Table(title=f"{path}: {len(found)} violations", title_justify="left")
    for col in ("node", "path", "problem"):
        table.add_column(col)
    for r in found[:50]:
        node, rpath = results.value(r, SH.focusNode), results.value(r, SH.resultPath)
        message = results.value(r, SH.resultMessage) or results.value(
            r, SH.sourceConstraintComponent
        )
        table.add_row(escape(str(node)), escape(str(rpath or "")), escape(str(message)))
    console.print(table)
    return len(found)
