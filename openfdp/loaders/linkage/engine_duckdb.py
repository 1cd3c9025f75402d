"""The DuckDB backend of linkage: an in-memory database in this process (the default)."""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker

from openfdp.loaders.linkage.engine_sql import TABLE, prepare

assert TABLE == "linkage_input"  # the name in the SQL below


def _connection(frame: pd.DataFrame, threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}").fetchall()
    con.register("linkage_frame", prepare(frame))
    con.execute("CREATE TABLE linkage_input AS SELECT * FROM linkage_frame").fetchall()
    con.unregister("linkage_frame")
    return con


class DuckDBBackend:
    def __init__(self, frame: pd.DataFrame, threads: int) -> None:
        self.con = _connection(frame, threads)

    def linker(self, settings: dict[str, Any]) -> Any:
        sdf = DuckDBAPI(connection=self.con).register(TABLE, table_name="evidence")
        logging.getLogger("splink").setLevel(logging.ERROR)
        return Linker(sdf, settings, log_level=None)

    def rows(self, result: Any, columns: list[str]) -> list[tuple[Any, ...]]:
        cols = ", ".join(f'"{c}"' for c in columns)
        sql = f"SELECT {cols} FROM {result.physical_name}"  # noqa: S608
        return [tuple(r) for r in self.con.execute(sql).fetchall()]

    def close(self) -> None:
        self.con.close()
