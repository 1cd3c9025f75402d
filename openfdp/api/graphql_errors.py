"""Plain-text error answers under ``/graphql`` rewritten to the GraphQL-over-HTTP shape.

strawberry's router answers requests it cannot take (a body that is not JSON, an unsupported
content type, a mutation over GET, no query) with a plain-text reason. This ASGI layer turns
any such answer (status 400 and above, ``text/plain``) on the GraphQL path into
``{"errors": [{"message": <the reason>, "extensions": {"code": ...}}]}`` with the same
status, so a client parses one error shape whatever went wrong. Other answers pass through.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openfdp.api.errors import HTTP_CODES, error_body, is_graphql_path


class GraphQLErrorShape:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_graphql_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def reshape(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and _plain_error(message):
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_json(send, held, b"".join(chunks))

        await self.app(scope, receive, reshape)


def _plain_error(start: Message) -> bool:
    if int(start["status"]) < 400:
        return False
    for key, value in start.get("headers", ()):
        if key.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/plain"))
    return False


async def _send_json(send: Send, start: Message, text: bytes) -> None:
    status = int(start["status"])
    message = text.decode("utf-8", errors="replace").strip() or "the request was refused"
    body = json.dumps(
        error_body(HTTP_CODES.get(status, "http_error"), message, graphql=True)
    ).encode()
    headers = [
        (k, v)
        for k, v in start.get("headers", ())
        if k.lower() not in {b"content-type", b"content-length"}
    ]
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
