"""Applying the amendments a mapped record carries (merges, cancellations, deletions).

The pipeline writes every record before an amending one first, then the amending record's
own rows, then calls :func:`apply_amendments`, so a feed replays in input order and a
reload of the same input ends in the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable

from openfdp.loaders.model import (
    Amendment,
    DeleteNode,
    DeleteRecordFacts,
    MappedRecord,
    MergePersons,
    UnsetProperties,
)
from openfdp.store.amend import GraphAmender

#: the person's relationships that follow its records to the surviving identity on a merge;
#: provenance (DERIVED_FROM) and linkage decisions (SAME_PERSON_AS, CANDIDATE) stay put
MOVED_ON_MERGE = ("SUBJECT_OF", "REGISTERED_WITH")


def source_record_id(rec: MappedRecord) -> str:
    """The key of the SourceRecord node the pipeline writes for a record."""
    return f"{rec.source}:{rec.record_key}"


def apply_amendments(
    amender: GraphAmender, rec: MappedRecord, *, reference_labels: Iterable[str]
) -> None:
    for change in rec.amendments:
        _apply(amender, rec, change, frozenset(reference_labels))


def _apply(
    amender: GraphAmender, rec: MappedRecord, change: Amendment, keep: frozenset[str]
) -> None:
    if isinstance(change, MergePersons):
        amender.merge_persons(
            change.prior,
            change.surviving,
            moved=MOVED_ON_MERGE,
            record=source_record_id(rec),
            merged_at=change.merged_at,
        )
    elif isinstance(change, DeleteNode):
        amender.delete_node(change.label, change.key, change.owned)
    elif isinstance(change, UnsetProperties):
        amender.unset_properties(change.label, change.key, change.properties)
    else:
        assert isinstance(change, DeleteRecordFacts)
        amender.delete_record_facts(change.source_record_id, keep_labels=keep)
