"""The answer cache in front of the ICB-wide reads (``waitingList``, ``longWaiters``).

Both scan every open pathway of the ICB per request; with the cache a request pays one
cheap version query (:func:`openfdp.store.data_version.read_data_version`, counted as a
round trip) and the scan runs once per data version, query, arguments and scope
(:class:`openfdp.services.answer_cache.AnswerCache`: LRU of
``settings.api.answer_cache_size`` entries, single flight).

An entry's key is everything that makes the answer differ between callers:

- the field and its arguments as resolved (``asOf`` defaults to today: the date is in the
  key; a page's size and cursor);
- the caller: organisation, roles and purpose, and the access scope derived from them
  (record-level and aggregate providers, record-level access, whether opted-out persons
  are left out), so one caller is never served an answer computed for another scope;
- the settings that shape the answer: ``privacy.ndoo_statutory_counts``, the
  pseudonymisation domain, the disclosure policy (name, version, thresholds), the maximum
  page size and the database;
- the data version (the store and its last committed transaction), so any committed
  change — a load, a linkage run, a share import or withdrawal, an opt-out — means a new
  key: the next request computes a fresh answer.

Access is checked before the cache is looked at; the cached value is the answer as the
resolver returns it, disclosure control already applied (raw counts are never kept).
Every request, hit or miss, is audited the same way: the result size and pseudo ids are
recorded from the answer each time, and a hit adds the field to the event's
``cache_hits``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from openfdp.api.deps import GraphQLContext
from openfdp.services import disclosure
from openfdp.store.data_version import DataVersion, read_data_version

T = TypeVar("T")


def scope_key(ctx: GraphQLContext) -> tuple[Hashable, ...]:
    """Who is asking, and the settings that change the answer (see the module docstring)."""
    scope, principal, s = ctx.scope, ctx.principal, ctx.settings
    return (
        s.neo4j.database,
        principal.organisation if principal else None,
        tuple(sorted(principal.roles)) if principal else (),
        principal.purpose if principal else "public",
        tuple(sorted(scope.providers)),
        tuple(sorted(scope.aggregate_providers)),
        scope.record_level,
        scope.exclude_opted_out,
        s.privacy.ndoo_statutory_counts,
        s.privacy.domain,
        dataclasses.astuple(disclosure.POLICY),
        s.api.max_page_size,
    )


async def request_version(ctx: GraphQLContext) -> DataVersion | None:
    """The data version, read once per request; the request's later reads wait for it."""
    if ctx.data_version is None:
        ctx.count_round_trip()
        ctx.data_version = asyncio.ensure_future(
            read_data_version(ctx.driver, ctx.settings.neo4j.database)
        )
    version = await ctx.data_version
    if version is not None:
        ctx.read_after = version.bookmarks
    return version


async def cached_answer(
    ctx: GraphQLContext,
    field: str,
    arguments: tuple[Hashable, ...],
    compute: Callable[[], Awaitable[T]],
    audit: Callable[[T], None],
) -> T:
    """``compute()``'s answer, from the cache when this caller asked the same of the same
    data before. ``compute`` must not audit; ``audit(answer)`` is called once either way."""
    if ctx.answers is None or ctx.answers.max_entries == 0:
        answer = await compute()
        audit(answer)
        return answer
    version = await request_version(ctx)
    if version is None:  # the server gave no version: nothing to key on
        answer = await compute()
        audit(answer)
        return answer
    key = (field, arguments, scope_key(ctx), version.key)
    answer, computed = await ctx.answers.get(key, compute)
    audit(answer)
    if not computed:
        ctx.audit.cache_hits.append(field)
    return answer
