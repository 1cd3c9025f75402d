"""Comparing two compiled ontologies: every change, classified for the graph and for GraphQL.

A change is ``breaking`` for the graph when data written under the old ontology may no longer
fit the new one (or a query written for it may stop working), and ``breaking`` for GraphQL
when a client of the old schema may fail against the new one. ``additive`` changes are safe;
``none`` means the change does not touch that contract (e.g. a description).
"""

from __future__ import annotations

from openfdp.ontology.diff_classes import class_changes
from openfdp.ontology.diff_links import code_list_changes, relationship_changes
from openfdp.ontology.diff_model import Change, OntologyDiff
from openfdp.ontology.model import Ontology


def diff(old: Ontology, new: Ontology) -> OntologyDiff:
    """Every change from ``old`` to ``new``: classes, then relationships, then code lists."""
    changes: list[Change] = []
    changes += class_changes(old, new)
    changes += relationship_changes(old, new)
    changes += code_list_changes(old, new)
    return OntologyDiff(old.version, new.version, tuple(changes))
