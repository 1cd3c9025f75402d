"""The access policy: deny by default, a principal becomes an :class:`AccessScope`.

- no token (purpose public): supplier transparency views only.
- ``trust_user`` + direct_care: record-level rows of its own trust, opted-out persons included.
- ``trust_user`` + planning/research: pseudonymised rows and aggregates of its own trust,
  NDOO opted-out persons excluded.
- ``ics_user`` (org = an ICB) + planning/research: pseudonymised rows and aggregates of the
  ICB's member trusts, opted-out persons excluded. With direct_care: refused (403).
- ``analyst`` + planning/research: the Cypher endpoint only, aggregate results (docs/security.md).
- any other role: nothing record-level. No role at all: refused (403).
- **fail closed on purposes**: the National Data Opt-out applies to every purpose except
  direct care, and a purpose this policy does not know (a new one) gets the strictest
  scope: nothing record-level, no aggregates, opted-out persons excluded.

ICS membership is looked up in the graph: ``(NHSTrust)-[:IN_ICB_GEOGRAPHY]->(ICB)``, and
kept per app for a minute (:class:`MembershipCache`), so an ICS user's request does not pay a
database round trip for it every time.
"""

from __future__ import annotations

import time

from neo4j import AsyncDriver
from openfdp.services.context import AccessScope, Principal
from openfdp.services.errors import AccessDenied, Unauthenticated
from openfdp.settings import Settings
from openfdp.store.access import member_trusts

SECONDARY_USES = frozenset({"planning", "research"})
DIRECT_CARE = "direct_care"
KNOWN_PURPOSES = SECONDARY_USES | {DIRECT_CARE}
PUBLIC_SCOPE = AccessScope(principal=None)
MEMBERSHIP_TTL_S = 60.0


class MembershipCache:
    """ICB -> member trusts, kept for `ttl_s` seconds (membership changes only with ODS loads).

    Empty answers (an unknown ICB, or one whose trusts are not loaded yet) are not kept.
    """

    def __init__(self, ttl_s: float = MEMBERSHIP_TTL_S) -> None:
        self._ttl = ttl_s
        self._items: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def members(self, driver: AsyncDriver, icb_ods: str, database: str) -> frozenset[str]:
        now = time.monotonic()
        hit = self._items.get((database, icb_ods))
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = await member_trusts(driver, icb_ods, database=database)
        if found:
            self._items[(database, icb_ods)] = (now, found)
        return found


async def _members(
    cache: MembershipCache | None, driver: AsyncDriver, icb_ods: str, settings: Settings
) -> frozenset[str]:
    if cache is None:
        return await member_trusts(driver, icb_ods, database=settings.neo4j.database)
    return await cache.members(driver, icb_ods, settings.neo4j.database)


def require_role(principal: Principal | None, role: str) -> Principal:
    if principal is None:
        raise Unauthenticated("this endpoint needs a bearer token")
    if role not in principal.roles:
        raise AccessDenied(f"this endpoint needs the role {role!r}; the token does not carry it")
    return principal


async def resolve_scope(
    principal: Principal | None,
    driver: AsyncDriver,
    settings: Settings,
    memberships: MembershipCache | None = None,
) -> AccessScope:
    """What this principal may read. Raises `AccessDenied` for combinations never allowed."""
    if principal is None:
        return PUBLIC_SCOPE
    roles, purpose = principal.roles, principal.purpose
    if not roles:
        raise AccessDenied("the token carries no role this service grants")
    if purpose not in KNOWN_PURPOSES:
        return AccessScope(principal=principal, exclude_opted_out=True)
    secondary = purpose in SECONDARY_USES
    if "ics_user" in roles:
        if not secondary:
            raise AccessDenied(
                "ICS users read pathways for planning or research; direct care access is "
                "for the treating trust's users"
            )
        members = await _members(memberships, driver, principal.organisation, settings)
        return AccessScope(
            principal=principal,
            providers=members,
            record_level=True,
            exclude_opted_out=True,
            aggregate_providers=members,
        )
    if "trust_user" in roles:
        own = frozenset({principal.organisation})
        return AccessScope(
            principal=principal,
            providers=own,
            record_level=True,
            exclude_opted_out=purpose != DIRECT_CARE,
            aggregate_providers=own,
        )
    # analysts, supplier viewers, admins: nothing record-level through GraphQL
    return AccessScope(principal=principal, exclude_opted_out=True)


async def analyst_scope(
    principal: Principal | None,
    driver: AsyncDriver,
    settings: Settings,
    memberships: MembershipCache | None = None,
) -> AccessScope:
    """Scope for analyst Cypher: role ``analyst`` and a secondary-use purpose."""
    p = require_role(principal, "analyst")
    if p.purpose not in SECONDARY_USES:
        raise AccessDenied(
            "analyst Cypher serves planning and research (aggregates only); "
            f"purpose {p.purpose!r} is not accepted here"
        )
    # an analyst at an ICB aggregates over its member trusts, one at a trust over its own
    members = await _members(memberships, driver, p.organisation, settings)
    providers = members or frozenset({p.organisation})
    return AccessScope(
        principal=p,
        providers=frozenset(),
        record_level=False,
        exclude_opted_out=True,
        aggregate_providers=providers,
    )
