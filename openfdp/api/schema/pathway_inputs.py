"""GraphQL arguments of the ``pathways`` query: the pathway filter (provider, ICB, treatment
function, status, weeks waiting) and the orders a page of pathways can be sorted in, with
the pathway status enum the filter uses. The types they select are in
:mod:`openfdp.api.schema.pathway_types`.
"""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class PathwayStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED_OUT = strawberry.enum_value(
        "transferred_out", description="Transferred to another provider (status 21)."
    )
    REMOVED = strawberry.enum_value(
        "removed", description="No longer in the provider's latest waiting-list snapshot."
    )


@strawberry.enum
class PathwayOrder(Enum):
    START_DATE_ASC = "START_DATE_ASC"
    START_DATE_DESC = "START_DATE_DESC"
    WEEKS_WAITING_ASC = "WEEKS_WAITING_ASC"
    WEEKS_WAITING_DESC = "WEEKS_WAITING_DESC"


@strawberry.input
class PathwayFilter:
    provider: str | None = None
    icb: str | None = strawberry.field(
        default=None, description="Only pathways at this ICB's trusts."
    )
    treatment_function_code: str | None = None
    status: PathwayStatus | None = None
    min_weeks_waiting: int | None = strawberry.field(
        default=None,
        description="Latest clock period waited over this many weeks (more than 7N days, "
        "as the waiting list's overNWeeks counts).",
    )
    max_weeks_waiting: int | None = strawberry.field(
        default=None,
        description="Latest clock period waited at most this many weeks (at most 7N days, "
        "as withinNWeeks: exactly 18 weeks is within 18 weeks).",
    )
