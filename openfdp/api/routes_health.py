"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from neo4j.exceptions import Neo4jError

from openfdp.api.errors import DB_UNAVAILABLE
from openfdp.api.metrics import CONTENT_TYPE_LATEST
from openfdp.api.state import AppState, app_state

router = APIRouter(tags=["operations"])
READINESS_TIMEOUT_S = 5.0
State = Annotated[AppState, Depends(app_state)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (says nothing about Neo4j)."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(state: State) -> JSONResponse:
    """Ready when Neo4j answers; 503 otherwise. Re-checked on every call (nothing cached)."""
    try:
        await asyncio.wait_for(state.driver.verify_connectivity(), READINESS_TIMEOUT_S)
    except (TimeoutError, Neo4jError, *DB_UNAVAILABLE):
        return JSONResponse({"status": "not ready", "neo4j": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ready", "neo4j": "up"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(app_state(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
