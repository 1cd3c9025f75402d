"""Who is asking and for what: the per-request context shared by GraphQL and REST routes.

`Principal` comes from a verified bearer token. `AccessScope` is what the access policy
derived from it: which providers' record-level data may be read, whether opted-out persons
must be excluded, and whether only aggregates may be returned. Resolvers and store queries
take the scope as parameters (never the raw claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Purpose = Literal["direct_care", "planning", "research", "public"]
Role = Literal["trust_user", "ics_user", "analyst", "supplier_viewer", "admin"]


@dataclass(frozen=True)
class Principal:
    subject: str
    organisation: str  # ODS code of the user's organisation (a trust or an ICB)
    roles: frozenset[str]
    purpose: Purpose


@dataclass(frozen=True)
class AccessScope:
    """The outcome of the access policy for one principal.

    `providers`: ODS codes whose record-level data may be read (empty = none).
    `record_level`: whether record-level (pseudonymised) data may be returned at all.
    `exclude_opted_out`: secondary uses (planning, research) exclude NDOO opted-out persons.
    `aggregate_providers`: ODS codes whose data may feed aggregates (disclosure-controlled).
    """

    principal: Principal | None
    providers: frozenset[str] = field(default_factory=frozenset)
    record_level: bool = False
    exclude_opted_out: bool = True
    aggregate_providers: frozenset[str] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.principal is None
