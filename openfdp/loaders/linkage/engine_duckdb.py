"""The DuckDB backend of linkage: an in-memory database in this process (the default)."""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker

from openfdp.loaders.linkage.engine_sql import TABLE, EngineConfig, prepare

assert TABLE == "linkage_input"  # the name in the SQL below


def _connection(frame: pd.DataFrame, config: EngineConfig) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(config.threads)}").fetchall()
    if config.memory_limit:
        # past the limit DuckDB spills its tables and joins to the temp folder
        con.execute("SET memory_limit = ?", [config.memory_limit]).fetchall()
    if config.temp_dir is not None:
        config.temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = ?", [str(config.temp_dir)]).fetchall()
    con.execute("SET preserve_insertion_order = false").fetchall()
    con.execute("SET enable_progress_bar = false").fetchall()
    con.register("linkage_frame", prepare(frame))
    con.execute("CREATE TABLE linkage_input AS SELECT * FROM linkage_frame").fetchall()
    con.unregister("linkage_frame")
    return con


class DuckDBBackend:
    def __init__(self, frame: pd.DataFrame, config: EngineConfig) -> None:
        self.con = _connection(frame, config)

    def linker(self, settings: dict[str, Any]) -> Any:
        sdf = DuckDBAPI(connection=self.con).register(TABLE, table_name="evidence")
        logging.getLogger("splink").setLevel(logging.ERROR)
        return Linker(sdf, settings, log_level=None)

    def rows(self, result: Any, columns: list[str], order: list[str]) -> list[tuple[Any, ...]]:
        cols = ", ".join(f'"{c}"' for c in columns)
        by = ", ".join(f'"{c}"' for c in order)
        sql = f"SELECT {cols} FROM {result.physical_name} ORDER BY {by}"  # noqa: S608
        return [tuple(r) for r in self.con.execute(sql).fetchall()]

    def close(self) -> None:
        self.con.close()
