"""ICS views: the waiting list (aggregate, disclosure-controlled), long waiters and
validation candidates (record-level lists of pathways, scoped like ``pathways``).

Every count in ``waitingList`` passes the disclosure policy in
:mod:`openfdp.services.disclosure` (0 stays 0, 1–7 suppressed, others rounded to the
nearest 5) and percentages come from the controlled cells; the policy's name and version are
returned with the figures. Aggregates read only the caller's ``scope.aggregate_providers``
and leave out NDOO opted-out persons for secondary uses.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

import strawberry

from openfdp.api.errors import AccessDenied, BadRequest
from openfdp.api.schema import codes
from openfdp.api.schema.cached import cached_answer
from openfdp.api.schema.common import (
    After,
    AsOf,
    Connection,
    First,
    Info,
    fetch,
    page_of,
    scope_params,
    slice_connection,
    today,
)
from openfdp.api.schema.pathways import Pathway, PathwayOrder, audit_pathways, pathway_page
from openfdp.services import disclosure
from openfdp.store.queries import ics as q
from openfdp.store.queries.ics import over_weeks_days

WEEK_BANDS = ("0-18", "18-52", "52-65", "65-78", "78-104", "104+")
UNKNOWN_START = "unknown start"  # the band of open periods with unknown clock start


@strawberry.enum
class WaitingListGroupBy(Enum):
    PROVIDER = "PROVIDER"
    TFC = "TFC"
    WEEKS_BAND = "WEEKS_BAND"


@strawberry.type(description="The disclosure control policy applied to a result.")
class DisclosurePolicy:
    name: str
    version: str


@strawberry.type(
    description="One group of the waiting list. Counts are disclosure-controlled: "
    "null means suppressed (1–7), others are rounded to the nearest 5."
)
class WaitingListRow:
    key: str = strawberry.field(description="Provider ODS code, TFC code or weeks band.")
    label: str | None = strawberry.field(description="Provider name, TFC name or band.")
    incomplete_pathways: int | None = strawberry.field(
        description="Open clock periods with a known start (the RTT return's total)."
    )
    unknown_clock_start: int | None = strawberry.field(
        description="Open pathways with unknown clock start, counted apart (RTT return)."
    )
    admitted: int | None = strawberry.field(
        description="Of incompletePathways: admitted (waiting list type IRTT/INON, or an "
        "intended management recorded)."
    )
    non_admitted: int | None = strawberry.field(
        description="Of incompletePathways: non-admitted (waiting list type ORTT/ONON)."
    )
    within_18_weeks: int | None = strawberry.field(
        description="Waited at most 126 days (exactly 18 weeks is within 18 weeks)."
    )
    pct_within_18_weeks: float | None = strawberry.field(
        description="From the controlled cells; null when either is suppressed."
    )
    over_52_weeks: int | None = strawberry.field(
        description="Waited more than 364 days (the same bound as longWaiters(minWeeks: 52))."
    )
    over_65_weeks: int | None
    over_78_weeks: int | None
    over_104_weeks: int | None


@strawberry.type(
    description="Incomplete RTT pathways (open clock periods) of an ICB or a "
    "provider, grouped, with the disclosure policy applied."
)
class WaitingList:
    as_of: datetime.date
    group_by: WaitingListGroupBy
    providers: list[str] = strawberry.field(description="The providers counted.")
    total: WaitingListRow
    disclosure_policy: DisclosurePolicy
    row_list: strawberry.Private[list[WaitingListRow]]

    @strawberry.field
    def rows(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[WaitingListRow]:
        return slice_connection(
            self.row_list,
            page_of(info.context, first, after),
            kind=f"waitingList:{self.group_by.value}",
            key=lambda r: (r.key,),
        )


_CELLS: tuple[str, ...] = ("total", "unknown_start", "admitted", "non_admitted", "within_18")
_CELLS += ("over_52", "over_65", "over_78", "over_104")


def controlled_row(key: str, label: str | None, raw: dict[str, int]) -> WaitingListRow:
    c = disclosure.control_counts({k: int(raw.get(k, 0)) for k in _CELLS})
    return WaitingListRow(
        key=key,
        label=label,
        incomplete_pathways=c["total"],
        unknown_clock_start=c["unknown_start"],
        admitted=c["admitted"],
        non_admitted=c["non_admitted"],
        within_18_weeks=c["within_18"],
        pct_within_18_weeks=disclosure.control_percentage(c["within_18"], c["total"]),
        over_52_weeks=c["over_52"],
        over_65_weeks=c["over_65"],
        over_78_weeks=c["over_78"],
        over_104_weeks=c["over_104"],
    )


def _aggregate_scope(info: Info) -> dict[str, Any]:
    """The waiting list's scope. Its counts mirror the national RTT return, an anonymised
    statistic released under disclosure control: by default (the policy setting
    ``privacy.ndoo_statutory_counts = "all_patients"``) they count every patient, opted
    out or not (docs/security.md §2)."""
    scope = info.context.scope
    if scope.anonymous:
        raise AccessDenied("the waiting list needs a bearer token")
    if not scope.aggregate_providers:
        raise AccessDenied("this role and purpose give access to no trust's aggregates")
    policy = info.context.settings.privacy.ndoo_statutory_counts
    return {
        "providers": sorted(scope.aggregate_providers),
        "exclude_opted_out": scope.exclude_opted_out and policy == "exclude_opted_out",
    }


def _one_of(icb: str | None, provider: str | None) -> None:
    if (icb is None) == (provider is None):
        raise BadRequest("give exactly one of icb or provider")


async def resolve_waiting_list(
    info: Info,
    *,
    group_by: WaitingListGroupBy,
    icb: str | None = None,
    provider: str | None = None,
    as_of: AsOf = None,
) -> WaitingList:
    _one_of(icb, provider)
    params = _aggregate_scope(info)
    when = as_of or today()
    return await cached_answer(
        info.context,
        "waitingList",
        (icb, provider, group_by.value, when.isoformat()),
        lambda: _waiting_list(info, params, group_by, icb=icb, provider=provider, when=when),
        lambda answer: info.context.audit.record(rows=len(answer.row_list) + 1),
    )


async def _waiting_list(
    info: Info,
    params: dict[str, Any],
    group_by: WaitingListGroupBy,
    *,
    icb: str | None,
    provider: str | None,
    when: datetime.date,
) -> WaitingList:
    """Computed from the graph, disclosure control applied (the caller audits it)."""
    rows = await fetch(
        info,
        q.WAITING_LIST,
        icb=icb,
        provider=provider,
        group_by=group_by.value,
        as_of=when,
        **params,
    )
    row = rows[0]
    wanted: list[str] = row["wanted"]
    if not wanted:
        raise BadRequest(
            f"no trust found for {'ICB ' + icb if icb else 'provider ' + str(provider)}"
        )
    outside = sorted(set(wanted) - set(params["providers"]))
    if outside:
        raise AccessDenied("your access does not cover the aggregates of " + ", ".join(outside))
    names = {n["ods_code"]: n["name"] for n in row["names"]}
    groups: dict[str, dict[str, int]] = {g["key"]: g for g in row["groups"]}
    if group_by is WaitingListGroupBy.WEEKS_BAND:
        keys = list(WEEK_BANDS)  # every band, zero or not, in order
        if UNKNOWN_START in groups:
            keys.append(UNKNOWN_START)
    elif group_by is WaitingListGroupBy.PROVIDER:
        keys = sorted(wanted)
    else:
        keys = sorted(groups)

    def label(key: str) -> str | None:
        if group_by is WaitingListGroupBy.PROVIDER:
            return names.get(key)
        if group_by is WaitingListGroupBy.TFC:
            return codes.label("TFC", key)
        return key if key == UNKNOWN_START else f"{key} weeks"

    out = [controlled_row(k, label(k), groups.get(k, {})) for k in keys]
    totals = {c: sum(int(g[c]) for g in groups.values()) for c in _CELLS}
    policy = disclosure.policy_info()
    return WaitingList(
        as_of=when,
        group_by=group_by,
        providers=sorted(wanted),
        total=controlled_row("total", "All", totals),
        disclosure_policy=DisclosurePolicy(name=policy["policy"], version=policy["version"]),
        row_list=out,
    )


async def resolve_long_waiters(
    info: Info,
    *,
    icb: str | None = None,
    provider: str | None = None,
    min_weeks: int = 52,
    first: First = None,
    after: After = None,
    as_of: AsOf = None,
) -> Connection[Pathway]:
    """Open pathways waiting over ``min_weeks`` weeks, longest first (record-level): more
    than 7 x min_weeks days, exactly the waiting list's over-N-weeks count."""
    _one_of(icb, provider)
    if min_weeks < 0:
        raise BadRequest("minWeeks cannot be negative")
    scope_params(info.context)  # refused before the cache is looked at
    page = page_of(info.context, first, after)
    when = as_of or today()
    return await cached_answer(
        info.context,
        "longWaiters",
        (icb, provider, min_weeks, page.limit, after, when.isoformat()),
        lambda: pathway_page(
            info,
            page=page,
            as_of=when,
            order=PathwayOrder.WEEKS_WAITING_DESC,
            icb=icb,
            provider=provider,
            status="open",
            min_days=over_weeks_days(min_weeks) if min_weeks > 0 else None,
            audited=False,
        ),
        lambda answer: audit_pathways(info, [e.node for e in answer.edges]),
    )


async def resolve_validation_candidates(
    info: Info,
    *,
    icb: str | None = None,
    provider: str | None = None,
    weeks_without_activity: int = 12,
    first: First = None,
    after: After = None,
    as_of: AsOf = None,
) -> Connection[Pathway]:
    """Open pathways with no status event or appointment in the last N weeks, longest
    waiting first (record-level)."""
    _one_of(icb, provider)
    if weeks_without_activity < 1:
        raise BadRequest("weeksWithoutActivity must be at least 1")
    return await pathway_page(
        info,
        page=page_of(info.context, first, after),
        as_of=as_of or today(),
        order=PathwayOrder.WEEKS_WAITING_DESC,
        icb=icb,
        provider=provider,
        status="open",
        inactive_days=weeks_without_activity * 7,
    )
