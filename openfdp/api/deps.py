"""The per-request GraphQL context: the contract between the app and the resolvers.

Every resolver reads ``info.context``, a :class:`GraphQLContext` built fresh per request by
:func:`openfdp.api.app.create_app`'s context getter, after authentication and the
access policy have run. Fields:

- ``driver`` — the process's one ``neo4j.AsyncDriver`` (owned by the app lifespan).
- ``settings`` — the :class:`~openfdp.settings.Settings` tree (page-size cap in
  ``settings.api.max_page_size``).
- ``scope`` — the :class:`~openfdp.services.context.AccessScope`: pass
  ``scope.providers`` / ``scope.aggregate_providers`` / ``scope.exclude_opted_out`` as
  Cypher ``$params``; refuse record-level fields when ``scope.record_level`` is false.
- ``principal`` — the verified :class:`~openfdp.services.context.Principal`, or ``None``
  for anonymous requests (public supplier views only).
- ``audit`` — an :class:`AuditRecorder`; call ``audit.record(rows=..., pseudo_ids=...)``
  with what a resolver returns. The audit middleware writes it into the request's audit
  event (result size, pseudo ids returned).
- ``db_round_trips`` — increment (``ctx.count_round_trip()``) once per Cypher call, so a
  test can count round trips of a deep query.
- ``loaders`` — a dict for per-request DataLoaders (create lazily, keyed by name).
- ``page_size(first)`` — the requested page size checked against the configured maximum
  (``BadRequest`` above it).
- ``answers`` — the app's :class:`~openfdp.services.answer_cache.AnswerCache` (None: no
  caching, e.g. a context built by a test); used through
  :func:`openfdp.api.schema.cached.cached_answer` only.
- ``read_after`` — bookmarks every later read of the request waits for (set when the
  request reads the data version; :mod:`openfdp.store.data_version`).

Client-facing errors: raise ``openfdp.api.errors.AccessDenied`` or ``BadRequest``
from a resolver; they reach the client unmasked. Anything else is masked as an internal
error, and a Neo4j outage turns the whole response into a 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from strawberry.fastapi import BaseContext

from neo4j import AsyncDriver, Bookmarks
from openfdp.api.errors import BadRequest
from openfdp.services.answer_cache import AnswerCache
from openfdp.services.audit import OperationInfo
from openfdp.services.context import AccessScope, Principal
from openfdp.settings import Settings
from openfdp.store.data_version import DataVersion


@dataclass
class AuditRecorder:
    """What a request returned, collected by resolvers and written by the audit layer."""

    result_size: int = 0
    pseudo_ids_returned: set[str] = field(default_factory=set)
    cache_hits: list[str] = field(default_factory=list)  # root fields served from the cache

    def record(self, *, rows: int = 0, pseudo_ids: Iterable[str] = ()) -> None:
        self.result_size += rows
        self.pseudo_ids_returned.update(p for p in pseudo_ids if p)


class GraphQLContext(BaseContext):
    """See the module docstring for the meaning of each field."""

    def __init__(
        self,
        *,
        driver: AsyncDriver,
        settings: Settings,
        scope: AccessScope,
        audit: AuditRecorder | None = None,
        operation_info: OperationInfo | None = None,
        answers: AnswerCache | None = None,
    ) -> None:
        super().__init__()
        self.driver = driver
        self.settings = settings
        self.scope = scope
        self.principal: Principal | None = scope.principal
        self.audit = audit if audit is not None else AuditRecorder()
        self.db_round_trips = 0
        self.loaders: dict[str, Any] = {}
        # filled by the app's extensions; read by the audit layer
        self.operation_info = operation_info if operation_info is not None else OperationInfo()
        self.db_unavailable = False
        self.answers = answers
        self.read_after: Bookmarks | None = None
        # the request's one read of the data version (schema/cached.py)
        self.data_version: asyncio.Task[DataVersion | None] | None = None

    def count_round_trip(self, n: int = 1) -> None:
        self.db_round_trips += n

    def page_size(self, first: int | None) -> int:
        """``first`` if given (1..max), else the maximum page size from settings."""
        cap = self.settings.api.max_page_size
        if first is None:
            return cap
        if first < 1 or first > cap:
            raise BadRequest(f"page size must be between 1 and {cap}; got {first}")
        return first
