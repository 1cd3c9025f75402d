"""The id of the request being served, for the audit events and the logs (set by the API's
request-id middleware; None outside a request, e.g. on the command line)."""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("openfdp_request_id", default=None)


def request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    return current_request_id.get()
