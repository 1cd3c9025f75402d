"""Analyst Cypher as a use case, shared by ``POST /cypher`` and ``openfdp cypher``.

Mechanics (read-only check, READ transaction, timeout, row cap) are the store's
:mod:`openfdp.store.cypher_guard`. The policy added here: every node pattern of a
record-level label is restricted to the analyst's organisations and, for secondary uses, to
persons who did not opt out (:data:`~openfdp.store.queries.analyst_scope.SCOPE_PREDICATES`,
written into the query by :mod:`openfdp.store.cypher_scope`); every returned column must be a
grouping key, a count or a statistic (:mod:`openfdp.store.cypher_shape`), and the results are
controlled by :mod:`openfdp.services.cypher_control`. The parameters ``$allowed_providers``
and ``$exclude_opted_out`` are supplied to every query. Every run is audited, refusals
included.
"""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from openfdp.services.access import MembershipCache, analyst_scope
from openfdp.services.audit import AuditTrail, OperationInfo, sha256_json, sha256_text
from openfdp.services.context import AccessScope, Principal
from openfdp.services.cypher_control import control_result
from openfdp.services.disclosure import policy_info
from openfdp.services.errors import (
    DB_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    AccessDenied,
    ApiError,
    BadRequest,
    ServiceUnavailableError,
)
from openfdp.settings import Settings
from openfdp.store.cypher_guard import (
    CypherRefused,
    explain,
    looks_like_pseudo_id,
    run_read_only,
    static_check,
)
from openfdp.store.cypher_scope import scope_query
from openfdp.store.cypher_shape import Shape, shape_query
from openfdp.store.cypher_tokens import ScopeRefused
from openfdp.store.queries.analyst_scope import RESERVED_PARAMS, SCOPE_PREDICATES

__all__ = ["SCOPE_PREDICATES", "run_analyst_query", "scoped", "shaped"]


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
