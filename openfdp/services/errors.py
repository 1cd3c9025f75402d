"""The deliberate errors of the use cases: each carries an HTTP-like status, a stable code and a
message fit to show a user as it is (the API maps them to responses, the command line to one
line). Anything else is an internal error."""

from __future__ import annotations

from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable, SessionExpired

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
