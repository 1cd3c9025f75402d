"""Audit of every read: one hash-chained event per GraphQL request and per analyst Cypher run.

Events name who (subject, organisation, roles, purpose), what (channel, operation, sha256 of
the query text and of the variables — never the text or values themselves), how much
(result size, the pseudo ids returned), the outcome, and the request id (also in the
``X-Request-ID`` response header and the logs). An answer served from the API's answer
cache is audited like a computed one (same result size and pseudo ids), with the fields so
served listed in ``cache_hits``. The log lives in
``settings.state_dir / "audit"`` (see docs/security.md). A request whose event cannot be
written is answered 503 and its data is never sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openfdp.services.context import Principal
from openfdp.services.errors import ServiceUnavailableError
from openfdp.services.request_context import request_id
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog, AuditWriteFailed

AUDIT_REFUSED = "The request was refused because its audit record could not be written."


def audit_dir(settings: Settings) -> Path:
    return settings.state_dir / "audit"


def sha256_text(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


def sha256_json(value: Any) -> str | None:
    if value is None:
        return None
    return sha256_text(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))


@dataclass
class OperationInfo:
    """What the audit layer learns about a request while it is handled."""

    channel: str = "graphql"
    operation: str | None = None
    query_hash: str | None = None
    variables_hash: str | None = None
    result_size: int = 0
    pseudo_ids: set[str] = field(default_factory=set)
    # how the caller was identified, when the channel records it (analyst Cypher):
    # "verified_token", "development_minted" (a CLI run in development mode without a
    # token) or "unverified" (no valid token: the request was denied)
    identity: str | None = None
    # root fields answered from the API's answer cache (openfdp.services.answer_cache):
    # recorded as ``cache_hits`` only when there are any, so other events are unchanged
    cache_hits: list[str] = field(default_factory=list)


def build_event(
    principal: Principal | None, info: OperationInfo, *, outcome: str, status: int
) -> dict[str, Any]:
    return (
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "subject": principal.subject if principal else None,
            "organisation": principal.organisation if principal else None,
            "roles": sorted(principal.roles) if principal else [],
            "purpose": principal.purpose if principal else "public",
            "channel": info.channel,
            "operation": info.operation,
            "query_hash": info.query_hash,
            "variables_hash": info.variables_hash,
            "result_size": info.result_size,
            "pseudo_ids": sorted(info.pseudo_ids),
            "outcome": outcome,
            "status": status,
            "request_id": request_id(),
        }
        | (
            {"identity": info.identity, "caller_verified": info.identity == "verified_token"}
            if info.identity is not None
            else {}
        )
        | ({"cache_hits": sorted(info.cache_hits)} if info.cache_hits else {})
    )


class AuditTrail:
    """The API's handle on the log: appends off the event loop, refuses on failure.

    Group commit: events written while an earlier batch is being made durable wait and go
    to the log together in the next batch, with one fsync. Each request still gets its
    answer only after its own event is durable; one failed batch refuses every request in
    it. With one request at a time a batch is one event.
    """

    def __init__(self, directory: Path) -> None:
        self.log = AuditLog(directory)
        self._pending: list[tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = []
        self._flushing = False

    async def write(
        self, principal: Principal | None, info: OperationInfo, *, outcome: str, status: int
    ) -> dict[str, Any]:
        event = build_event(principal, info, outcome=outcome, status=status)
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((event, done))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        try:
            return await done
        except AuditWriteFailed as exc:
            raise ServiceUnavailableError(AUDIT_REFUSED) from exc

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    stored = await asyncio.to_thread(self.log.append_many, [e for e, _ in batch])
                except Exception as exc:
                    failed = (
                        exc
                        if isinstance(exc, AuditWriteFailed)
                        else AuditWriteFailed(f"audit log could not be written: {exc}")
                    )
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(failed)
                    continue
                for (_, done), event in zip(batch, stored, strict=True):
                    if not done.done():
                        done.set_result(event)
        finally:
            self._flushing = False

    def close(self) -> None:
        self.log.close()


def who_accessed(log: AuditLog, pseudo_id: str) -> Iterator[dict[str, Any]]:
    """Every event whose results included this pseudonymised person."""
    for event in log.events():
        if pseudo_id in event.get("pseudo_ids", ()):
            yield event
