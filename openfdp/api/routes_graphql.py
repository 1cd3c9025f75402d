"""The GraphQL endpoint: authenticated, scoped, limited, masked and audited.

The context getter verifies the token, derives the access scope and builds a fresh
:class:`GraphQLContext`. The router writes one audit event per executed operation before
the response leaves (refusing with 503 if it cannot), and turns a Neo4j outage seen by a
resolver into a 503. Refusals at authentication are audited too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import strawberry
from fastapi import Request
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from openfdp.api.audit import CaptureOperation
from openfdp.api.complexity import complexity_rule
from openfdp.api.deps import GraphQLContext
from openfdp.api.errors import (
    DB_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    ApiError,
    MaskInternalErrors,
    ServiceUnavailableError,
    add_error_codes,
)
from openfdp.api.schema import build_schema
from openfdp.api.state import AppState, app_state
from openfdp.services.access import resolve_scope
from openfdp.services.audit import OperationInfo
from openfdp.services.auth import principal_of
from openfdp.services.context import Principal
from openfdp.settings import Settings

log = logging.getLogger("openfdp.api")
MAX_ALIASES = 20
MAX_TOKENS = 2000


def guard_extensions(settings: Settings) -> list[Callable[[], Any]]:
    """Limits, masking and audit capture added to whatever schema is served.

    The depth, alias and complexity limits are validation rules built once here
    (strawberry's limiter extensions build new rule classes on every request) and added to
    every operation.
    """
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.api.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
        complexity_rule(settings.api.max_complexity, settings.api.max_page_size),
    ]
    return [
        CaptureOperation,
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaskInternalErrors,
    ]


def load_schema(settings: Settings) -> strawberry.Schema:
    """The GraphQL schema generated from the compiled ontology."""
    return build_schema(settings)


def with_guards(schema: strawberry.Schema, settings: Settings) -> strawberry.Schema:
    """Add limits, error masking and audit capture (once) to a schema."""
    if CaptureOperation not in schema.extensions:
        schema.extensions = (*schema.extensions, *guard_extensions(settings))
    return schema


def _is_ide_request(request: Request) -> bool:
    return request.method == "GET" and "query" not in request.query_params


async def open_context(
    state: AppState, authorization: str | None, *, audit_refusal: bool = True
) -> GraphQLContext:
    """Authenticate and scope one request; refusals are audited (unless it only asks for
    the GraphiQL page) and raised as `ApiError`."""
    info = OperationInfo(channel="graphql")
    principal: Principal | None = None
    try:
        principal = principal_of(authorization, state.settings)
        scope = await resolve_scope(principal, state.driver, state.settings, state.memberships)
    except ApiError as exc:
        if audit_refusal:
            await state.audit.write(principal, info, outcome="denied", status=exc.status_code)
        raise
    except DB_UNAVAILABLE as exc:
        await state.audit.write(principal, info, outcome="unavailable", status=503)
        raise ServiceUnavailableError(UNAVAILABLE_MESSAGE) from exc
    return GraphQLContext(
        driver=state.driver,
        settings=state.settings,
        scope=scope,
        operation_info=info,
        answers=state.answers,
    )


async def audit_result(state: AppState, ctx: GraphQLContext, result: ExecutionResult) -> None:
    """Write the request's audit event before its answer leaves; 503 when the database was
    unreachable (nothing is sent) or when the event cannot be written."""
    info = ctx.operation_info
    info.result_size = ctx.audit.result_size
    info.pseudo_ids = set(ctx.audit.pseudo_ids_returned)
    info.cache_hits = list(ctx.audit.cache_hits)
    if ctx.db_unavailable:
        info.pseudo_ids.clear()
        await state.audit.write(ctx.principal, info, outcome="unavailable", status=503)
        raise ServiceUnavailableError(UNAVAILABLE_MESSAGE)
    outcome = "ok" if not result.errors else "error" if result.data is None else "partial"
    await state.audit.write(ctx.principal, info, outcome=outcome, status=200)


async def get_context(request: Request) -> GraphQLContext:
    state = app_state(request)
    ctx = await open_context(
        state, request.headers.get("authorization"), audit_refusal=not _is_ide_request(request)
    )
    request.state.openfdp_context = ctx
    return ctx


class AuditedGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        add_error_codes(result.errors)
        response = await super().process_result(request, result)
        await audit_result(app_state(request), request.state.openfdp_context, result)
        return response


def graphql_router(
    settings: Settings, schema: strawberry.Schema | None = None
) -> AuditedGraphQLRouter:
    served = with_guards(schema or load_schema(settings), settings)
    return AuditedGraphQLRouter(served, context_getter=get_context, graphql_ide="graphiql")
