"""The read-only runner for analyst Cypher.

A query is accepted only when (1) the text passes static checks — one statement, no
``LOAD CSV``, no ``CALL { … } IN TRANSACTIONS``, no ``USE``, no admin commands, and
procedure calls only from a small read-only allow-list — and (2) Neo4j's own ``EXPLAIN``
of it reports query type ``r`` (read only). It then runs in a READ transaction with a
timeout, fetching at most ``row_cap`` rows. Nodes, relationships and paths are never
returned: results must be projected to properties or aggregates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from neo4j.exceptions import ClientError
from neo4j.graph import Node, Path, Relationship

from neo4j import AsyncDriver, AsyncManagedTransaction, unit_of_work
from openfdp.store.errors import StoreError

AGGREGATING_OPERATORS = frozenset(
    {
        "EagerAggregation",
        "OrderedAggregation",
        "NodeCountFromCountStore",
        "RelationshipCountFromCountStore",
    }
)
ALLOWED_PROCEDURES = frozenset(
    {"db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization"}
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_QUOTED_NAME = re.compile(r"`([^`]*)`")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_FORBIDDEN = [
    (re.compile(r"\bLOAD\s+CSV\b", re.I), "LOAD CSV is not allowed"),
    (
        re.compile(r"\bIN\s+(?:\d+\s+)?(?:CONCURRENT\s+)?TRANSACTIONS\b", re.I),
        "CALL { … } IN TRANSACTIONS is not allowed",
    ),
    (
        re.compile(r"^\s*USE\b|\bUSE\s+[\w.`]+\s+(MATCH|CALL|RETURN|WITH)", re.I),
        "USE (switching database) is not allowed",
    ),
    (
        re.compile(
            r"^\s*(SHOW|GRANT|REVOKE|DENY|ALTER|START|STOP|TERMINATE|CREATE\s+(USER|ROLE|DATABASE)|DROP)\b",
            re.I,
        ),
        "administration commands are not allowed",
    ),
    (re.compile(r"^\s*(EXPLAIN|PROFILE)\b", re.I), "send the query without EXPLAIN/PROFILE"),
]
_CALL = re.compile(r"\bCALL\s+([A-Za-z_][\w.]*)\s*\(?", re.I)
_PSEUDO_ID = re.compile(r"^[0-9a-f]{64}$")


class CypherRefused(StoreError):
    """The analyst query was refused before or while running; the message says why."""


@dataclass
class CypherResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    aggregating: bool
    operators: set[str] = field(default_factory=set)


def code_text(query: str) -> str:
    """The query with comments removed and string literals emptied (for text checks)."""
    text = _STRINGS.sub("''", _COMMENTS.sub(" ", query))
    return _QUOTED_NAME.sub(lambda m: re.sub(r"\W", "_", m.group(1)) or "_", text)


def static_check(query: str) -> None:
    """Refuse what can be seen in the text (string literals and comments ignored)."""
    if not query.strip():
        raise CypherRefused("the query is empty")
    text = code_text(query)
    if ";" in text.strip().rstrip(";"):
        raise CypherRefused("send one statement at a time (no ';' between statements)")
    for pattern, reason in _FORBIDDEN:
        if pattern.search(text):
            raise CypherRefused(reason)
    for match in _CALL.finditer(text):
        name = match.group(1).lower()
        if name not in ALLOWED_PROCEDURES:
            raise CypherRefused(
                f"procedure {match.group(1)!r} is not allowed; allowed: "
                + ", ".join(sorted(ALLOWED_PROCEDURES))
            )


def _operators(plan: Mapping[str, Any] | None) -> set[str]:
    if not plan:
        return set()
    found = {str(plan.get("operatorType", "")).split("@")[0]}
    for child in plan.get("children", ()) or ():
        found |= _operators(child)
    return found


async def explain(
    driver: AsyncDriver, query: str, params: Mapping[str, Any], *, database: str
) -> set[str]:
    """EXPLAIN the query; refuse unless Neo4j says it is read-only. Returns plan operators."""
    try:
        _, summary, _ = await driver.execute_query(
            "EXPLAIN " + query, dict(params), database_=database, routing_="r"
        )
    except ClientError as exc:
        raise CypherRefused(f"Neo4j rejected the query: {exc.message or exc.code}") from exc
    if summary.query_type != "r":
        kind = {"w": "writes", "rw": "reads and writes", "s": "changes the schema"}.get(
            str(summary.query_type), f"has type {summary.query_type!r}"
        )
        raise CypherRefused(f"only read-only queries are accepted; this query {kind}")
    return _operators(summary.plan)


def plain(value: Any) -> Any:
    """A JSON-friendly copy of a result value; graph entities are refused."""
    if isinstance(value, (Node, Relationship, Path)):
        raise CypherRefused(
            "return properties or aggregates (e.g. n.ods_code, count(*)), not nodes, "
            "relationships or paths"
        )
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)


def looks_like_pseudo_id(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_PSEUDO_ID.match(value))
    if isinstance(value, list):
        return any(looks_like_pseudo_id(v) for v in value)
    if isinstance(value, dict):
        return any(looks_like_pseudo_id(v) for v in value.values())
    return False


async def run_read_only(
    driver: AsyncDriver,
    query: str,
    params: Mapping[str, Any],
    *,
    database: str,
    timeout_s: float,
    row_cap: int,
    metadata: Mapping[str, Any] | None = None,
) -> CypherResult:
    """Static check, EXPLAIN check, then run in a READ transaction with timeout and row cap."""
    static_check(query)
    operators = await explain(driver, query, params, database=database)

    @unit_of_work(timeout=timeout_s, metadata=dict(metadata or {}))
    async def work(tx: AsyncManagedTransaction) -> tuple[list[str], list[list[Any]], bool]:
        result = await tx.run(query, dict(params))
        keys = list(result.keys())
        rows: list[list[Any]] = []
        async for record in result:
            if len(rows) >= row_cap:
                return keys, rows, True
            rows.append([plain(v) for v in record.values()])
        return keys, rows, False

    async with driver.session(database=database, default_access_mode="READ") as session:
        try:
            columns, rows, truncated = await session.execute_read(work)
        except ClientError as exc:
            if "Timeout" in (exc.code or "") or "terminated" in (exc.message or "").lower():
                raise CypherRefused(
                    f"the query ran longer than {timeout_s:g} s and was stopped"
                ) from exc
            raise CypherRefused(f"Neo4j rejected the query: {exc.message or exc.code}") from exc
    return CypherResult(
        columns=columns,
        rows=rows,
        truncated=truncated,
        aggregating=bool(operators & AGGREGATING_OPERATORS),
        operators=operators,
    )
