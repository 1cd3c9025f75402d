"""Analyst Cypher: ``POST /cypher`` (role ``analyst``, purpose planning or research).

The route only: authentication, then the use case :func:`openfdp.services.analyst.run_analyst_query`
(scope, typed outputs, output control, audit; see docs/security.md §5).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from openfdp.api.state import AppState, app_state
from openfdp.services.analyst import run_analyst_query
from openfdp.services.audit import OperationInfo
from openfdp.services.auth import principal_of
from openfdp.services.errors import ApiError

router = APIRouter(tags=["analyst"])


class CypherRequest(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)


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
