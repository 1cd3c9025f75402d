"""Analyst Cypher: ``POST /cypher`` (role ``analyst``, purpose planning or research).

Mechanics (read-only check, READ transaction, timeout, row cap) are the store's
:mod:`openfdp.store.cypher_guard`. The policy added here: every node pattern of a
record-level label is restricted to the analyst's organisations and, for secondary uses, to
persons who did not opt out (``SCOPE_PREDICATES``, written into the query by
:mod:`openfdp.store.cypher_scope`); results must come from an aggregating plan, may
not contain pseudo ids, and every integer is disclosure-controlled. The parameters
``$allowed_providers`` and ``$exclude_opted_out`` are supplied to every query. Every run is
audited, refusals included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from neo4j import AsyncDriver
from openfdp.api.access import MembershipCache, analyst_scope
from openfdp.api.audit import AuditTrail, OperationInfo, sha256_json, sha256_text
from openfdp.api.auth import principal_of
from openfdp.api.context import AccessScope, Principal
from openfdp.api.cypher_control import control_result
from openfdp.api.disclosure import policy_info
from openfdp.api.errors import (
    DB_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    AccessDenied,
    ApiError,
    BadRequest,
    ServiceUnavailableError,
)
from openfdp.api.state import AppState, app_state
from openfdp.settings import Settings
from openfdp.store.cypher_guard import (
    CypherRefused,
    explain,
    looks_like_pseudo_id,
    run_read_only,
    static_check,
)
from openfdp.store.cypher_scope import ScopeRefused, scope_query
from openfdp.store.cypher_shape import Shape, shape_query
from openfdp.store.queries.opt_out import person_not_opted_out, person_opted_out

router = APIRouter(tags=["analyst"])
RESERVED_PARAMS = frozenset({"allowed_providers", "exclude_opted_out"})
# Row-level scope of analyst queries: the predicate every node pattern of these labels gets
# (openfdp/store/cypher_scope.py). "{v}" is the node's variable. Records belong to
# the analyst's organisations ($allowed_providers); with $exclude_opted_out (always true for
# planning and research) nothing of a person who opted out of secondary uses (NDOO) counts.
_PROVIDER = "{v}.provider_ods IN $allowed_providers"


def _no_opted_out_subject(path: str) -> str:
    """The node is not a record of an opted-out person reached through ``path``, a pattern
    from ``(openfdp_o:PseudonymisedPerson)`` to ``({v})``."""
    return (
        "NOT ($exclude_opted_out AND EXISTS { MATCH "
        + path
        + " WHERE "
        + person_opted_out("openfdp_o")
        + " })"
    )


_SUBJECT = "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->({v})"
_OF_PATHWAY = "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:RTTPathway)"
_SUBJECT_RECORD = f"{_PROVIDER} AND {_no_opted_out_subject(_SUBJECT)}"
SCOPE_PREDICATES: dict[str, str] = {
    **dict.fromkeys(
        ("Referral", "RTTPathway", "Encounter", "Appointment", "WaitingListEntry"),
        _SUBJECT_RECORD,
    ),
    **dict.fromkeys(
        ("RTTStatusEvent", "RTTPeriod"),
        f"{_PROVIDER} AND "
        + _no_opted_out_subject(_OF_PATHWAY + "-[:HAS_EVENT|HAS_PERIOD]->({v})"),
    ),
    **dict.fromkeys(
        ("Procedure", "Diagnosis"),
        f"{_PROVIDER} AND "
        + _no_opted_out_subject(_OF_PATHWAY + "<-[:ON_PATHWAY]-({v})")
        + " AND "
        + _no_opted_out_subject(
            "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:Encounter)"
            "-[:HAD_PROCEDURE|HAS_DIAGNOSIS]->({v})"
        ),
    ),
    **dict.fromkeys(
        ("Theatre", "TheatreSession", "StaffMember", "Shift", "Ward", "Bed"), _PROVIDER
    ),
    "TheatreBooking": f"{_PROVIDER} AND "
    + _no_opted_out_subject(
        "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:WaitingListEntry)<-[:FOR_ENTRY]-({v})"
    ),
    "PseudonymisedPerson": (
        person_not_opted_out("{v}") + " AND EXISTS { MATCH "
        "({v})-[:SUBJECT_OF]->(openfdp_r) WHERE openfdp_r.provider_ods IN $allowed_providers }"
    ),
    "LinkReviewTask": (
        "NOT EXISTS { MATCH ({v})-[:CANDIDATE]->(openfdp_c:PseudonymisedPerson) WHERE NOT "
        "EXISTS { MATCH (openfdp_c)-[:SUBJECT_OF]->(openfdp_r) "
        "WHERE openfdp_r.provider_ods IN $allowed_providers } }"
    ),
    "SourceRecord": (
        "EXISTS { MATCH (openfdp_x)-[:DERIVED_FROM]->({v}) "
        "WHERE openfdp_x.provider_ods IN $allowed_providers }"
    ),
}


def shaped(query: str) -> Shape:
    """The analyst's query checked for typed outputs, with the hidden counts added and the
    row-level scope written into every node pattern (refused with a clear message when it
    cannot be)."""
    static_check(query)  # writes and admin commands are refused as such first
    try:
        scope_query(query, SCOPE_PREDICATES)  # the scope's own refusals come first
        shape = shape_query(query, SCOPE_PREDICATES.keys())
        shape.query = scope_query(shape.query, SCOPE_PREDICATES)
    except ScopeRefused as exc:
        raise CypherRefused(str(exc)) from exc
    return shape


def scoped(query: str) -> str:
    """The analyst's query as it is sent to Neo4j (see :func:`shaped`)."""
    return shaped(query).query


_PATTERN_PREDICATE = "Node pattern predicates are not allowed in an expression"


class CypherRequest(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)


async def _shaped_or_syntax_error(
    driver: AsyncDriver, settings: Settings, query: str, params: dict[str, Any]
) -> Shape:
    """:func:`shaped`; when the query is refused, a syntax error Neo4j finds in it (EXPLAIN,
    nothing runs) is reported instead, as it is what the analyst must fix first. Writes and
    administration commands are refused as such, without asking Neo4j."""
    static_check(query)
    try:
        return shaped(query)
    except CypherRefused:
        await explain(driver, query, params, database=settings.neo4j.database)
        raise


async def _execute(
    driver: AsyncDriver, settings: Settings, scope: AccessScope, query: str, params: dict[str, Any]
) -> dict[str, Any]:
    clash = RESERVED_PARAMS & params.keys()
    if clash:
        raise BadRequest(f"parameter names {sorted(clash)} are reserved and supplied by openfdp")
    supplied = {
        "allowed_providers": sorted(scope.aggregate_providers),
        "exclude_opted_out": scope.exclude_opted_out,
    }
    try:
        shape = await _shaped_or_syntax_error(driver, settings, query, {**params, **supplied})
        result = await run_read_only(
            driver,
            shape.query,
            {**params, **supplied},
            database=settings.neo4j.database,
            timeout_s=settings.api.cypher_timeout_s,
            row_cap=settings.api.cypher_row_cap,
            metadata={"app": "openfdp-analyst-cypher"},
        )
    except CypherRefused as exc:
        if _PATTERN_PREDICATE in str(exc):
            raise CypherRefused(
                "a pattern used as a condition cannot carry the row-level scope: write it "
                "as a subquery, e.g. WHERE EXISTS { MATCH (t:NHSTrust)<-[:ISSUED_BY]-"
                "(w:RTTPathway) } instead of WHERE (t)<-[:ISSUED_BY]-(:RTTPathway)"
            ) from exc
        raise
    if not result.aggregating:
        raise AccessDenied(
            "planning and research analysts receive aggregates only: use count(), sum() or "
            "another aggregation (results are disclosure-controlled)"
        )
    if "CartesianProduct" in result.operators:
        raise CypherRefused(
            "disconnected patterns multiply rows: connect them in one pattern, e.g. "
            "MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway)"
        )
    controlled = control_result(shape, result.columns, result.rows)
    if any(looks_like_pseudo_id(v) for row in controlled.rows for v in row):
        raise AccessDenied("results may not contain pseudonymised person ids")
    return {
        "columns": result.columns[: len(shape.columns)],
        "column_types": [c.kind for c in shape.columns],
        "rows": controlled.rows,
        "row_count": len(controlled.rows),
        "suppressed_rows": controlled.suppressed_rows,
        "truncated": result.truncated,
        "row_cap": settings.api.cypher_row_cap,
        "disclosure": policy_info(),
        "supplied_parameters": supplied,
    }


async def run_analyst_query(
    *,
    driver: AsyncDriver,
    settings: Settings,
    audit: AuditTrail,
    principal: Principal | None,
    query: str,
    params: dict[str, Any],
    memberships: MembershipCache | None = None,
    identity: str = "verified_token",
) -> dict[str, Any]:
    """Authorise, run, control and audit one analyst query (shared by the API and the CLI).
    ``identity`` says how the caller was identified (recorded in the audit event)."""
    info = OperationInfo(
        channel="cypher",
        operation="cypher",
        query_hash=sha256_text(query),
        variables_hash=sha256_json(params),
        identity=identity if principal is not None else "unverified",
    )
    try:
        scope = await analyst_scope(principal, driver, settings, memberships)
        body = await _execute(driver, settings, scope, query, params)
    except CypherRefused as exc:
        await audit.write(principal, info, outcome="refused", status=403)
        raise AccessDenied(str(exc)) from exc
    except ApiError as exc:
        outcome = "denied" if exc.status_code in {401, 403} else "refused"
        await audit.write(principal, info, outcome=outcome, status=exc.status_code)
        raise
    except DB_UNAVAILABLE as exc:
        await audit.write(principal, info, outcome="unavailable", status=503)
        raise ServiceUnavailableError(UNAVAILABLE_MESSAGE) from exc
    except Exception:
        await audit.write(principal, info, outcome="error", status=500)
        raise
    info.result_size = body["row_count"]
    await audit.write(principal, info, outcome="ok", status=200)
    return body


State = Annotated[AppState, Depends(app_state)]


@router.post("/cypher")
async def cypher(request: Request, body: CypherRequest, state: State) -> dict[str, Any]:
    """Run one read-only, aggregate-shaped Cypher query (see docs/security.md)."""
    try:
        principal = principal_of(request.headers.get("authorization"), state.settings)
    except ApiError as exc:
        await state.audit.write(
            None,
            OperationInfo(channel="cypher", operation="cypher", identity="unverified"),
            outcome="denied",
            status=exc.status_code,
        )
        raise
    return await run_analyst_query(
        driver=state.driver,
        settings=state.settings,
        audit=state.audit,
        principal=principal,
        query=body.query,
        params=body.params,
        memberships=state.memberships,
    )
