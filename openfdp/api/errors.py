"""The API's client-facing errors and how every failure becomes a clear JSON response.

`ApiError` subclasses carry a status and a message fit to show a user. Anything else is an
internal error: it is logged with its traceback and the client sees only a generic message
(no stack trace, no Cypher). Resolvers raise `AccessDenied` or `BadRequest`; those reach
GraphQL clients unmasked.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable, SessionExpired
from starlette.exceptions import HTTPException as StarletteHTTPException
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("openfdp.api")

INTERNAL_MESSAGE = "Internal error. It has been logged; please try again or report it."
UNAVAILABLE_MESSAGE = "The graph database is not reachable right now; please retry shortly."
DB_UNAVAILABLE = (ServiceUnavailable, SessionExpired, DatabaseUnavailable, ConnectionError, OSError)


class ApiError(Exception):
    """Root of the API's deliberate errors. The message is shown to the client as is."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"


class Unauthenticated(ApiError):
    status_code = 401
    code = "unauthenticated"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="openfdp"'})


class AccessDenied(ApiError):
    status_code = 403
    code = "forbidden"


class ServiceUnavailableError(ApiError):
    status_code = 503
    code = "unavailable"


class RequestTimeout(ApiError):
    status_code = 504
    code = "timeout"


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


Answer = tuple[int, dict[str, dict[str, str]], dict[str, str]]  # status, body, headers


def internal_answer(exc: BaseException) -> Answer:
    """An unexpected error: logged with its traceback, masked for the client."""
    log.error("internal error", exc_info=exc)
    return 500, error_body("internal", INTERNAL_MESSAGE), {}


def error_answer(exc: Exception) -> Answer:
    """What a client is told about an exception: an `ApiError`'s own status and message,
    503 when Neo4j cannot be reached, else a masked internal error. Used by the exception
    handlers below and by the direct GraphQL path (openfdp/api/graphql_post.py)."""
    if isinstance(exc, ApiError):
        return exc.status_code, error_body(exc.code, exc.message), exc.headers or {}
    if isinstance(exc, DB_UNAVAILABLE):
        log.warning("neo4j unavailable: %s", type(exc).__name__)
        return 503, error_body("unavailable", UNAVAILABLE_MESSAGE), {}
    return internal_answer(exc)


def _json(answer: Answer) -> JSONResponse:
    status, body, headers = answer
    return JSONResponse(body, status_code=status, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _json(error_answer(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body("http_error", str(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return JSONResponse(error_body("bad_request", problems), status_code=422)

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        return _json(error_answer(exc))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        return _json(internal_answer(exc))


def _is_client_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:  # syntax and validation errors (depth, aliases, unknown fields)
        return True
    return isinstance(original, (ApiError, StrawberryGraphQLError, PermissionError))


class MaskInternalErrors(MaskErrors):
    """Mask internal errors (logged with their traceback); keep the client-facing ones.

    A Neo4j outage seen by any resolver is noted on the context (``db_unavailable``), so
    the response becomes a 503 rather than a 200 with masked errors.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask, error_message=INTERNAL_MESSAGE)

    def _should_mask(self, error: GraphQLError) -> bool:
        if _is_client_error(error):
            return False
        original = error.original_error
        if isinstance(original, DB_UNAVAILABLE):
            context = self.execution_context.context
            if hasattr(context, "db_unavailable"):
                context.db_unavailable = True
        log.error("internal error in a resolver at %s", error.path, exc_info=original)
        return True
