"""Structured logs: one JSON object per line, with time, level, logger, message and the
request id of the request being handled (``openfdp.api.request_id``).

``dict_config(fmt, level)`` routes the root logger and uvicorn's loggers through it;
``openfdp serve`` passes it to uvicorn (``OPENFDP_API__LOG_FORMAT=json|text``). Extra fields
passed with ``extra=`` (the access log's method, path, status, duration) become keys too.
Messages never carry identifying values: the API logs ids, routes and counts only.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

from openfdp.services.request_context import request_id

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)
LogFormat = Literal["json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record (for the text format's ``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


def dict_config(fmt: LogFormat = "json", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` that sends every record (ours, uvicorn's, the
    driver's) through one handler on stderr; uvicorn applies it in each worker process."""
    here = __name__
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{here}.RequestIdFilter"}},
        "formatters": {"json": {"()": f"{here}.JsonFormatter"}, "text": {"format": TEXT_FORMAT}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # requests are logged once, with their id, on openfdp.access
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


def configure(fmt: LogFormat = "json", level: str = "INFO") -> None:
    logging.config.dictConfig(dict_config(fmt, level))
