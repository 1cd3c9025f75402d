"""The result of comparing two ontologies: each :class:`Change` names its subject and says
whether it is ``breaking``, ``additive`` or ``none`` for the graph and, separately, for
GraphQL, with a migration hint when it breaks something; :class:`OntologyDiff` gathers them
with the two versions and renders the JSON of `openfdp ontology diff --json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BREAKING, ADDITIVE, NONE = "breaking", "additive", "none"


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # added | removed | changed
    subject: str  # e.g. "class Referral", "property NHSTrust.name", "code RTT_STATUS 21"
    detail: str
    graph: str  # breaking | additive | none
    graphql: str
    hint: str = ""  # how to migrate, for breaking changes

    @property
    def breaking(self) -> bool:
        return BREAKING in (self.graph, self.graphql)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "detail": self.detail,
            "graph": self.graph,
            "graphql": self.graphql,
            "breaking": self.breaking,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class OntologyDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def is_breaking(self) -> bool:
        return bool(self.breaking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "breaking": self.is_breaking,
            "counts": {
                "breaking": len(self.breaking),
                "additive": sum(
                    1 for c in self.changes if not c.breaking and ADDITIVE in (c.graph, c.graphql)
                ),
                "total": len(self.changes),
            },
            "changes": [c.to_dict() for c in self.changes],
        }
