"""RTT pathways (record-level): the resolvers of ``pathway(id)``, ``pathways(...)``, ``person``.

Access: only pathways of providers in ``scope.providers`` exist for the caller. A pathway
of another trust is answered with ``null``, exactly like a pathway that does not exist, so
its existence is not disclosed. A caller with no record-level access at all gets a
FORBIDDEN error. With ``scope.exclude_opted_out`` (planning, research) persons who opted
out of secondary uses (NDOO) and their records are left out everywhere.
"""

from __future__ import annotations

import datetime

import strawberry

from openfdp.api.errors import BadRequest
from openfdp.api.schema.common import (
    After,
    AsOf,
    Connection,
    First,
    Info,
    build,
    connection,
    fetch,
    page_of,
    scope_params,
    today,
)
from openfdp.api.schema.paging import Page
from openfdp.api.schema.pathway_inputs import PathwayFilter, PathwayOrder
from openfdp.api.schema.pathway_rows import summary, timeline_events, to_pathway
from openfdp.api.schema.pathway_types import Pathway, Person
from openfdp.store.queries import pathways as q
from openfdp.store.queries.ics import over_weeks_days

__all__ = ["Pathway", "PathwayFilter", "PathwayOrder", "Person", "audit_pathways", "pathway_page"]


def audit_pathways(info: Info, pathways: list[Pathway]) -> None:
    """Record the pathways a request returns (their number and persons) for its audit."""
    info.context.audit.record(
        rows=len(pathways),
        pseudo_ids=[p.person.pseudo_id for p in pathways if p.person is not None],
    )


def _split_id(value: str) -> tuple[str, str]:
    issuer, sep, ppid = value.partition(":")
    if not sep or not issuer or not ppid:
        raise BadRequest(f"pathway id {value!r} is not of the form <ppid_issuer_ods>:<ppid>")
    return issuer, ppid


async def resolve_pathway(info: Info, *, id: strawberry.ID, as_of: AsOf = None) -> Pathway | None:
    issuer, ppid = _split_id(str(id))
    params = scope_params(info.context)
    rows = await fetch(info, q.PATHWAY_BY_ID, issuer=issuer, ppid=ppid, **params)
    if not rows:
        return None
    pathway = to_pathway(rows[0]["pathway"], as_of or today())
    audit_pathways(info, [pathway])
    return pathway


async def pathway_page(
    info: Info,
    *,
    page: Page,
    as_of: datetime.date,
    order: PathwayOrder = PathwayOrder.START_DATE_ASC,
    icb: str | None = None,
    provider: str | None = None,
    tfc: str | None = None,
    status: str | None = None,
    min_days: int | None = None,
    max_days: int | None = None,
    inactive_days: int | None = None,
    audited: bool = True,
) -> Connection[Pathway]:
    """One query: the filtered, ordered page of pathways after the cursor's sort key, and
    the total count. ``audited=False``: the caller records the page for the audit."""
    params = scope_params(info.context)
    kind = f"pathways:{order.value}"
    rows = await fetch(
        info,
        q.PATHWAYS_PAGE[order.value],
        icb=icb,
        provider=provider,
        tfc=tfc,
        status=status,
        min_days=min_days,
        max_days=max_days,
        inactive_days=inactive_days,
        as_of=as_of,
        after=page.after(kind),
        limit=page.limit,
        **params,
    )
    row = rows[0]
    items = [to_pathway(p, as_of) for p in row["items"]]
    if audited:
        audit_pathways(info, items)
    return connection(
        items, row["keys"], kind=kind, total=row["total"], page=page, has_next=row["has_next"]
    )


async def resolve_pathways(
    info: Info,
    *,
    filter: PathwayFilter | None = None,
    order_by: PathwayOrder = PathwayOrder.START_DATE_ASC,
    first: First = None,
    after: After = None,
    as_of: AsOf = None,
) -> Connection[Pathway]:
    f = filter or PathwayFilter()
    weeks = (f.min_weeks_waiting, f.max_weeks_waiting)
    if any(w is not None and w < 0 for w in weeks):
        raise BadRequest("weeks waiting cannot be negative")
    return await pathway_page(
        info,
        page=page_of(info.context, first, after),
        as_of=as_of or today(),
        order=order_by,
        icb=f.icb,
        provider=f.provider or None,
        tfc=f.treatment_function_code,
        status=f.status.value if f.status else None,
        # the waiting list's bounds: over N weeks = more than 7N days, within N = at most 7N
        min_days=None if not f.min_weeks_waiting else over_weeks_days(f.min_weeks_waiting),
        max_days=None if f.max_weeks_waiting is None else over_weeks_days(f.max_weeks_waiting),
    )


async def resolve_person(info: Info, *, pseudo_id: str) -> Person | None:
    params = scope_params(info.context)
    domain = info.context.settings.privacy.domain
    rows = await fetch(info, q.PERSON, domain=domain, pseudo_id=pseudo_id, **params)
    if not rows:
        return None
    row = rows[0]
    person = build(
        Person,
        row["person"],
        pathways=[summary(x) for x in row["pathways"]],
        timeline_rows=timeline_events(row["timeline"]),
    )
    info.context.audit.record(rows=1 + len(person.timeline_rows), pseudo_ids=[pseudo_id])
    return person
