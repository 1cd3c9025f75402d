"""The Cypher of one batch write (:class:`openfdp.store.writer.GraphWriter`): node MERGEs that
hand back the element ids of their nodes, and relationship MERGEs that find both ends by
those ids.

A relationship end is found once, by its key, in the node (or key-only stub) statement that
writes it; every relationship to it then uses the node's element id (a direct record lookup)
instead of seeking the key index again for each end of each relationship. The node statements
also say which nodes did not exist before: a relationship with such an end cannot exist yet
and is CREATEd instead of MERGEd (no check of the existing relationships; the rows of a batch
are distinct, and the writer drops a repeat of the same type between the same two nodes).
This assumes one load writes a given record at a time (two loads of the same records running
at the same moment could each see a node as new). Measured on the
generated trust extracts (docs/benchmarks.md, "Where the time goes"), the key seeks of the
relationship ends were most of the server's work: a record has ~4 nodes and ~10
relationships, provenance included.

Labels, relationship types and property names are interpolated only after they are checked
against the compiled ontology (``name`` below refuses anything else) and always
backtick-quoted; values are always ``$params``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: MERGE a node on its key; the element ids come back in the order of the rows, with
#: whether the node is new (it did not exist before this statement)
NODE_MERGE = (
    "UNWIND $rows AS row OPTIONAL MATCH (old:{label} {{{key}}}) WITH row, old IS NULL AS new "
    "MERGE (n:{label} {{{key}}}) "
    "ON CREATE SET n += row.create SET n += row.props{extra} "
    "RETURN collect(elementId(n)) AS ids, collect(new) AS new"
)
#: a relationship end the batch does not write itself: MERGEd key-only
NODE_STUB_MERGE = (
    "UNWIND $rows AS row OPTIONAL MATCH (old:{label} {{{key}}}) WITH row, old IS NULL AS new "
    "MERGE (n:{label} {{{key}}}){extra} "
    "RETURN collect(elementId(n)) AS ids, collect(new) AS new"
)
#: rows are [start element id, end element id] or [start, end, properties]
REL_MERGE = (
    "UNWIND $rows AS row "
    "MATCH (a) WHERE elementId(a) = row[0] MATCH (b) WHERE elementId(b) = row[1] "
    "MERGE (a)-[r:{type}]->(b){set_props}"
)
#: a relationship with an end created in the same transaction cannot exist yet: CREATE
REL_CREATE = (
    "UNWIND $rows AS row "
    "MATCH (a) WHERE elementId(a) = row[0] MATCH (b) WHERE elementId(b) = row[1] "
    "CREATE (a)-[r:{type}]->(b){set_props}"
)
# The ceiling for benchmarks: the same rows created with plain CREATE, no checks, no MERGE;
# relationships by the element ids the node statements return, as the pipeline's writer does.
BARE_NODE_CREATE = (
    "UNWIND $rows AS row CREATE (n:{label}) SET n = row RETURN collect(elementId(n)) AS ids"
)
BARE_REL_CREATE = (
    "UNWIND $rows AS row "
    "MATCH (a) WHERE elementId(a) = row[0] MATCH (b) WHERE elementId(b) = row[1] "
    "CREATE (a)-[r:{type}]->(b) SET r = row[2]"
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BadName(ValueError):
    """Not a name the ontology could define (never interpolated)."""


def name(text: str) -> str:
    if not _NAME.match(text):
        raise BadName(f"not a valid ontology name: {text!r}")
    return f"`{text}`"


def node_text(labels: Sequence[str], key: Sequence[str], *, stub: bool = False) -> str:
    """MERGE on `labels[0]` by `key`; the superclass labels `labels[1:]` set on every write
    (on create only for a stub, which carries no properties of its own)."""
    label, *extra = labels
    key_text = ", ".join(f"{name(k)}: row.key.{name(k)}" for k in key)
    if stub:
        extra_set = f" ON CREATE SET n:{':'.join(name(x) for x in extra)}" if extra else ""
        return NODE_STUB_MERGE.format(label=name(label), key=key_text, extra=extra_set)
    extra_set = f" SET n:{':'.join(name(x) for x in extra)}" if extra else ""
    return NODE_MERGE.format(label=name(label), key=key_text, extra=extra_set)


def rel_text(rtype: str, *, with_props: bool, create: bool = False) -> str:
    template = REL_CREATE if create else REL_MERGE
    return template.format(type=name(rtype), set_props=" SET r += row[2]" if with_props else "")
