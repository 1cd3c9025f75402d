"""The direct path for the common GraphQL request: ``POST /graphql`` with a JSON body.

Most API traffic is one shape: a JSON ``{"query", "variables", "operationName"}`` posted
to /graphql. This ASGI layer answers exactly that shape itself, with the same steps as the
strawberry router (authentication, access scope, the guarded schema, error masking, the
audit event written before the answer leaves, the same JSON error bodies), but without the
per-request work of FastAPI's dependency injection and strawberry's generic HTTP view.
A JSON body that does not parse gets a 400 with a GraphQL-over-HTTP error body. Anything else (GET,
GraphiQL, other content types, streaming, batches, JSON that is not such an object) is
passed on, untouched, to the strawberry router. The same tests run
through both paths (tests/api/test_graphql_post.py compares them).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import process_result
from strawberry.schema.base import BaseSchema
from strawberry.types.graphql import OperationType

from openfdp.api.errors import Answer, add_error_codes, error_answer, error_body
from openfdp.api.routes_graphql import audit_result, open_context
from openfdp.api.state import AppState

MAX_BODY_BYTES = 1 << 20  # larger bodies take the router's path (and its limits)
_ALLOWED = OperationType.from_http("POST")
_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


class _Route:
    """What the metrics layer reads from ``scope["route"]`` (the route template)."""

    def __init__(self, path: str) -> None:
        self.path = path


def _dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # a value orjson does not know (never from graphql-core's scalars)
        return json.dumps(data, separators=(",", ":"), default=str).encode()


class _NotJson(Exception):
    pass


def _request_data(body: bytes) -> dict[str, Any] | None:
    """The request object when the body is exactly the common shape, else None; raises
    `_NotJson` when the body is not JSON at all."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _NotJson from exc
    if not isinstance(data, dict) or not data.keys() <= _KEYS:
        return None
    query, variables = data.get("query"), data.get("variables")
    name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str) or not query.strip():
        return None
    if not all(isinstance(v, (dict, type(None))) for v in (variables, extensions)):
        return None
    if not isinstance(name, (str, type(None))):
        return None
    return data


class GraphQLPost:
    """ASGI layer in front of the app: answers plain JSON ``POST`` requests to ``path``."""

    def __init__(self, app: ASGIApp, *, schema: BaseSchema, path: str = "/graphql") -> None:
        self.app = app
        self.schema = schema
        self.path = path
        self.route = _Route(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._candidate(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away before sending its request
            return
        try:
            data = _request_data(body) if len(body) <= MAX_BODY_BYTES else None
        except _NotJson:
            answer = self._not_json(scope)
        else:
            if data is None:
                await self.app(scope, _replay(body, receive), send)
                return
            answer = self._answer(scope, data)
        scope["route"] = self.route
        status, payload, headers = await answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _candidate(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return False
        content_type = accept = b""
        for key, value in scope["headers"]:
            if key == b"content-type":
                content_type = value
            elif key == b"accept":
                accept = value
        # streaming transports (multipart, server-sent events) are the router's business
        return content_type.split(b";")[0].strip().lower() == b"application/json" and not (
            b"multipart/mixed" in accept or b"text/event-stream" in accept
        )

    async def _not_json(self, scope: Scope) -> tuple[int, bytes, dict[str, str]]:
        """A body that is not JSON: 400 with a clear message (after authentication, like
        any request; a refused token is answered and audited first)."""
        try:
            await open_context(_state(scope), _authorization(scope))
        except Exception as exc:
            return _encoded(error_answer(exc, graphql=True))
        message = 'the request body is not valid JSON; send {"query": ..., "variables": {...}}'
        return 400, _dumps(error_body("bad_request", message, graphql=True)), {}

    async def _answer(
        self, scope: Scope, data: dict[str, Any]
    ) -> tuple[int, bytes, dict[str, str]]:
        state = _state(scope)
        try:
            ctx = await open_context(state, _authorization(scope))
            result = await self.schema.execute(
                data["query"],
                variable_values=data.get("variables"),
                context_value=ctx,
                operation_name=data.get("operationName"),
                allowed_operation_types=_ALLOWED,
                operation_extensions=data.get("extensions"),
            )
            add_error_codes(result.errors)
            response = process_result(result)
            await audit_result(state, ctx, result)
        except Exception as exc:
            return _encoded(error_answer(exc, graphql=True))
        return 200, _dumps(response), {}


def _encoded(answer: Answer) -> tuple[int, bytes, dict[str, str]]:
    status, body, headers = answer
    return status, _dumps(body), headers


def _state(scope: Scope) -> AppState:
    state: AppState = scope["app"].state.openfdp
    return state


def _authorization(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client disconnects first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the already-read body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
