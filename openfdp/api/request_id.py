"""A request id for every HTTP request: in the response header, the logs and the audit event.

The id is the client's ``X-Request-ID`` when it sends a sane one (1 to 64 letters, digits,
``-``, ``_``, ``.``), so a caller can follow its own id through; otherwise a new random one.
It is held in a context variable for the whole request (the audit trail and the log
formatter read it from there), returned as ``X-Request-ID`` on every answer, including
errors and timeouts, and each finished request is logged once on ``openfdp.access``
(method, path without query string, status, milliseconds).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openfdp.services.request_context import current_request_id

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
_SANE = re.compile(rb"[A-Za-z0-9._-]{1,64}")

access_log = logging.getLogger("openfdp.access")


def _incoming(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY and _SANE.fullmatch(value):
            return str(value.decode("ascii"))
    return None


class RequestIdMiddleware:
    """The outermost layer: sets the id, adds the header, logs the request when done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming(scope) or uuid.uuid4().hex
        token = current_request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), (_HEADER_KEY, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_header)
        finally:
            access_log.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request_id.reset(token)
