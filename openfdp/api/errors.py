"""The API's client-facing errors and how every failure becomes a clear JSON response.

`ApiError` subclasses carry a status and a message fit to show a user. Anything else is an
internal error: it is logged with its traceback and the client sees only a generic message
(no stack trace, no Cypher). Resolvers raise `AccessDenied` or `BadRequest`; those reach
GraphQL clients unmasked.

Under ``/graphql`` every error, whatever its HTTP status (400, 401, 403, 500, 503, 504), has
the GraphQL-over-HTTP shape ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``
(docs/api.md, "Errors"); the REST routes answer ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from starlette.exceptions import HTTPException as StarletteHTTPException
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import MaskErrors

from openfdp.services.errors import (
    DB_UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    AccessDenied,
    ApiError,
    BadRequest,
    RequestTimeout,
    ServiceUnavailableError,
    Unauthenticated,
)

__all__ = [
    "DB_UNAVAILABLE",
    "UNAVAILABLE_MESSAGE",
    "AccessDenied",
    "ApiError",
    "BadRequest",
    "RequestTimeout",
    "ServiceUnavailableError",
    "Unauthenticated",
]


log = logging.getLogger("openfdp.api")

INTERNAL_MESSAGE = "Internal error. It has been logged; please try again or report it."

GRAPHQL_PATH = "/graphql"


def is_graphql_path(path: str) -> bool:
    return path == GRAPHQL_PATH or path.startswith(GRAPHQL_PATH + "/")


def error_body(code: str, message: str, *, graphql: bool = False) -> dict[str, Any]:
    """The JSON body of an error: GraphQL-over-HTTP shape (code in upper case) for the
    GraphQL endpoint, ``{"error": {...}}`` for the REST routes."""
    if graphql:
        return {"errors": [{"message": message, "extensions": {"code": code.upper()}}]}
    return {"error": {"code": code, "message": message}}


Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, body, headers


def internal_answer(exc: BaseException, *, graphql: bool = False) -> Answer:
    """An unexpected error: logged with its traceback, masked for the client."""
    log.error("internal error", exc_info=exc)
    return 500, error_body("internal", INTERNAL_MESSAGE, graphql=graphql), {}


def error_answer(exc: Exception, *, graphql: bool = False) -> Answer:
    """What a client is told about an exception: an `ApiError`'s own status and message,
    503 when Neo4j cannot be reached, else a masked internal error. Used by the exception
    handlers below and by the direct GraphQL path (openfdp/api/graphql_post.py)."""
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.message, graphql=graphql)
        return exc.status_code, body, exc.headers or {}
    if isinstance(exc, DB_UNAVAILABLE):
        log.warning("neo4j unavailable: %s", type(exc).__name__)
        return 503, error_body("unavailable", UNAVAILABLE_MESSAGE, graphql=graphql), {}
    return internal_answer(exc, graphql=graphql)


def _json(answer: Answer) -> JSONResponse:
    status, body, headers = answer
    return JSONResponse(body, status_code=status, headers=headers or None)


def _graphql(request: Request) -> bool:
    return is_graphql_path(request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _json(error_answer(exc, graphql=_graphql(request)))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(_http_code(exc.status_code), str(exc.detail), graphql=_graphql(request)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        body = error_body("bad_request", problems, graphql=_graphql(request))
        return JSONResponse(body, status_code=422)

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        return _json(error_answer(exc, graphql=_graphql(request)))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return _json(internal_answer(exc, graphql=_graphql(request)))


HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def _http_code(status: int) -> str:
    return HTTP_CODES.get(status, "http_error")


def error_code_of(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error in a GraphQL result: the `ApiError`'s own code,
    INTERNAL for masked errors, GRAPHQL_PARSE_FAILED for syntax errors,
    GRAPHQL_VALIDATION_FAILED for documents or variables the schema refuses (unknown field,
    depth, aliases, complexity, a missing variable), BAD_REQUEST otherwise."""
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code.upper()
    if original is None or isinstance(original, GraphQLError):
        if error.message == INTERNAL_MESSAGE:
            return "INTERNAL"
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        return "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, PermissionError):
        return "FORBIDDEN"
    return "BAD_REQUEST"


def add_error_codes(errors: list[GraphQLError] | None) -> None:
    """Give every error of a GraphQL result an ``extensions.code`` (kept when it has one)."""
    for error in errors or ():
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": error_code_of(error)}


def _is_client_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:  # syntax and validation errors (depth, aliases, unknown fields)
        return True
    # a GraphQLError inside: a variable the client sent (or left out) does not fit its type
    return isinstance(original, (ApiError, GraphQLError, StrawberryGraphQLError, PermissionError))


class MaskInternalErrors(MaskErrors):
    """Mask internal errors (logged with their traceback); keep the client-facing ones.

    A Neo4j outage seen by any resolver is noted on the context (``db_unavailable``), so
    the response becomes a 503 rather than a 200 with masked errors.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

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
