"""Request timeout: a request still running after ``settings.api.request_timeout_s`` gets 504."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openfdp.api.errors import error_body, is_graphql_path


class TimeoutMiddleware:
    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def track(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_s):
                await self.app(scope, receive, track)
        except TimeoutError:
            if started:
                raise
            message = f"the request took longer than {self.timeout_s:g} s"
            graphql = is_graphql_path(scope["path"])
            body = json.dumps(error_body("timeout", message, graphql=graphql)).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 504,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
