"""The FastAPI application factory.

The lifespan owns the process's one async Neo4j driver. Routes: ``/graphql`` (GraphiQL in
a browser), ``/cypher`` (analyst), ``/healthz``, ``/readyz``, ``/metrics``, ``/timeline``
(the pathway timeline page). Every request has a timeout and a request id (``X-Request-ID``);
errors are JSON with a clear message (GraphQL-over-HTTP shape under /graphql); internal
errors are masked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry
from fastapi import FastAPI

from openfdp.api.errors import install_error_handlers
from openfdp.api.graphql_errors import GraphQLErrorShape
from openfdp.api.graphql_post import GraphQLPost
from openfdp.api.metrics import Metrics, MetricsMiddleware
from openfdp.api.request_id import RequestIdMiddleware
from openfdp.api.routes_cypher import router as cypher_router
from openfdp.api.routes_graphql import graphql_router
from openfdp.api.routes_health import router as health_router
from openfdp.api.routes_timeline import router as timeline_router
from openfdp.api.state import AppState
from openfdp.api.timeouts import TimeoutMiddleware
from openfdp.services.access import MembershipCache
from openfdp.services.answer_cache import AnswerCache
from openfdp.services.audit import AuditTrail, audit_dir
from openfdp.settings import Settings, get_settings
from openfdp.store.driver import open_async_driver

# An API request fails fast (503) when Neo4j is away rather than retrying for 30 s; the
# driver reconnects by itself on a later request once Neo4j answers again.
API_DRIVER_OPTIONS = {
    "max_transaction_retry_time": 1.0,
    "connection_timeout": 5.0,
    "connection_acquisition_timeout": 10.0,
}


def create_app(
    settings: Settings | None = None, *, schema: strawberry.Schema | None = None
) -> FastAPI:
    """The app; ``schema`` overrides the GraphQL schema (tests), guards are added either way."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        driver = open_async_driver(settings, **API_DRIVER_OPTIONS)
        audit = AuditTrail(audit_dir(settings))
        app.state.openfdp = AppState(
            settings=settings,
            driver=driver,
            audit=audit,
            metrics=metrics,
            memberships=MembershipCache(),
            answers=AnswerCache(settings.api.answer_cache_size),
        )
        try:
            yield
        finally:
            audit.close()
            await driver.close()

    app = FastAPI(
        title="openfdp",
        summary="Graph ontology and linkage service for NHS trusts and ICSs",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(cypher_router)
    graphql = graphql_router(settings, schema)
    app.include_router(graphql, prefix="/graphql")
    app.include_router(timeline_router)
    # the last added is the outermost layer
    app.add_middleware(GraphQLErrorShape)  # strawberry's plain-text refusals -> {"errors"}
    # plain JSON POSTs to /graphql are answered directly (same steps, less per-request work)
    app.add_middleware(GraphQLPost, schema=graphql.schema, path="/graphql")
    app.add_middleware(TimeoutMiddleware, timeout_s=settings.api.request_timeout_s)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)  # X-Request-ID, access log
    return app
