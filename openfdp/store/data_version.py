"""The version of the data in Neo4j, read with one cheap query: what the API's answer cache
(:mod:`openfdp.services.answer_cache`) keys its entries on.

The signal is the database's own transaction history, not a counter the writers keep:

- **Every committed write moves it**, whoever writes and however (a trust load, the bulk
  import's schema and merge steps, a linkage run, a share import or withdrawal, an
  opt-out, an amendment, a Cypher statement typed into ``cypher-shell``): Neo4j gives each
  committed transaction the next transaction id, and a future write path cannot forget to
  bump it. Reads never move it, and the audit log is a file (``state_dir/audit``), not
  Neo4j, so the audit of every read does not defeat the cache.
- **Read as a bookmark.** A read session's bookmark after a trivial auto-commit query
  carries the database's last committed transaction id (Neo4j 5.26 Community: the Bolt
  server's ``TransactionIdTracker.newestTransactionId``). It is compared as an opaque
  string, never parsed, and costs one round trip. The alternatives do not work in
  Community 5.26.31 (checked): ``SHOW DATABASES YIELD lastCommittedTxn`` is null there, and
  no bean of ``dbms.queryJmx`` has a transaction attribute.
- **Causally consistent.** The last *committed* id can run ahead of what a reader sees
  (a transaction is committed to the log before it is applied to the store). So the
  answer computed under a version is read *with that bookmark* (:func:`read_rows`'s
  ``bookmarks``): the server waits until the transaction is applied before the query runs.
  An answer cached under version N therefore reflects at least N, and a request that sees
  version N after a write returned to its caller (the write is then N or earlier) never
  gets an answer from before it: an opt-out takes effect on the very next request.
- **A replaced store changes it too.** ``db.info()``'s store id and creation time are part
  of the version, so an offline ``neo4j-admin`` import or a restored dump (whose
  transaction ids start again from a low number) never matches an entry cached before.

When the server returns no bookmark the version is unknown (``None``) and nothing is
cached for that request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from neo4j import READ_ACCESS, AsyncDriver, Bookmarks, NotificationMinimumSeverity

VERSION_QUERY: LiteralString = "CALL db.info() YIELD id, creationDate RETURN id, creationDate"


@dataclass(frozen=True)
class DataVersion:
    """One observed state of the database: its store and its last committed transaction."""

    store: str  # db.info()'s store id and creation time
    bookmarks: Bookmarks  # carries the last committed transaction id; read after it

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Equal for two observations of the same committed state (hashable)."""
        return self.store, tuple(sorted(self.bookmarks.raw_values))


async def read_data_version(driver: AsyncDriver, database: str) -> DataVersion | None:
    """The current version (one auto-commit read); None when the server sent no bookmark."""
    async with driver.session(
        database=database,
        default_access_mode=READ_ACCESS,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    ) as session:
        result = await session.run(VERSION_QUERY)
        record = await result.single(strict=True)
        await result.consume()
        bookmarks = await session.last_bookmarks()
    if not bookmarks.raw_values:
        return None
    return DataVersion(store=f"{record['id']}@{record['creationDate']}", bookmarks=bookmarks)
