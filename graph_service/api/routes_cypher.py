"""Analyst Cypher: ``POST /cypher`` (role ``analyst``, purpose planning or research).

Mechanics (read-only check, READ transaction, timeout, row cap) are the store's
:mod:`graph_service.store.cypher_guard`. The policy added here: results must come from an
aggregating plan, may not contain pseudo ids, and every integer is disclosure-controlled.
The parameters ``$allowed_providers`` (the analyst's organisations) and
``$exclude_opted_out`` are supplied to every query. Every run is audited, refusals included.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from graph_service.api.access import MembershipCache, analyst_scope
from graph_service.api.audit import AuditTrail, OperationInfo, sha256_json, sha256_text
from graph_service.api.auth import principal_of
from graph_service.api.context import AccessScope, Principal
from graph_service.api.disclosure import control_count, policy_info
from graph_service.api.errors import (
    DB_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    AccessDenied,
    ApiError,
    BadRequest,
    ServiceUnavailableError,
)
from graph_service.api.state import AppState, app_state
from graph_service.settings import Settings
from graph_service.store.cypher_guard import (
    CypherRefused,
    code_text,
    looks_like_pseudo_id,
    run_read_only,
)
from neo4j import AsyncDriver

router = APIRouter(tags=["analyst"])
RESERVED_PARAMS = frozenset({"allowed_providers", "exclude_opted_out"})
# labels of record-level nodes (they carry provider_ods; docs/graph-model.md)
RECORD_LEVEL_LABELS = (
    "PseudonymisedPerson|Referral|RTTPathway|RTTStatusEvent|RTTPeriod|WaitingListEntry|"
    "Appointment|Encounter|Procedure|Diagnosis|Theatre|TheatreSession|TheatreBooking|"
    "StaffMember|Shift|Ward|Bed"
)
_RECORD_LEVEL = re.compile(rf":\s*`?({RECORD_LEVEL_LABELS})`?\b")
_PERSON = re.compile(r":\s*`?PseudonymisedPerson`?\b|:\s*SUBJECT_OF\b")


def check_scoping(query: str) -> None:
    """Queries naming record-level labels must use the supplied scope parameters.

    A convention check (docs/security.md §5): it catches a forgotten restriction, it cannot
    prove the parameters are used to restrict.
    """
    text = code_text(query)
    if _RECORD_LEVEL.search(text) and "$allowed_providers" not in text:
        raise AccessDenied(
            "queries over record-level data must restrict to your organisations: add "
            "WHERE <node>.provider_ods IN $allowed_providers"
        )
    if _PERSON.search(text) and "$exclude_opted_out" not in text:
        raise AccessDenied(
            "queries over persons must honour the National Data Opt-out: add "
            "AND (NOT $exclude_opted_out OR NOT coalesce(p.ndoo_opt_out, false))"
        )


class CypherRequest(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)


def _controlled(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return control_count(value) if value >= 0 else value
    if isinstance(value, list):
        return [_controlled(v) for v in value]
    if isinstance(value, dict):
        return {k: _controlled(v) for k, v in value.items()}
    return value


async def _execute(
    driver: AsyncDriver, settings: Settings, scope: AccessScope, query: str, params: dict[str, Any]
) -> dict[str, Any]:
    check_scoping(query)
    clash = RESERVED_PARAMS & params.keys()
    if clash:
        raise BadRequest(f"parameter names {sorted(clash)} are reserved and supplied by openfdp")
    supplied = {
        "allowed_providers": sorted(scope.aggregate_providers),
        "exclude_opted_out": scope.exclude_opted_out,
    }
    result = await run_read_only(
        driver,
        query,
        {**params, **supplied},
        database=settings.neo4j.database,
        timeout_s=settings.api.cypher_timeout_s,
        row_cap=settings.api.cypher_row_cap,
        metadata={"app": "openfdp-analyst-cypher"},
    )
    if not result.aggregating:
        raise AccessDenied(
            "planning and research analysts receive aggregates only: use count(), sum() or "
            "another aggregation (results are disclosure-controlled)"
        )
    if any(looks_like_pseudo_id(v) for row in result.rows for v in row):
        raise AccessDenied("results may not contain pseudonymised person ids")
    return {
        "columns": result.columns,
        "rows": [[_controlled(v) for v in row] for row in result.rows],
        "row_count": len(result.rows),
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
) -> dict[str, Any]:
    """Authorise, run, control and audit one analyst query (shared by the API and the CLI)."""
    info = OperationInfo(
        channel="cypher",
        operation="cypher",
        query_hash=sha256_text(query),
        variables_hash=sha256_json(params),
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
            OperationInfo(channel="cypher", operation="cypher"),
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
