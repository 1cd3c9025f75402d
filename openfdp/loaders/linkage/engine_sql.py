"""What every linkage backend shares: the integer columns Splink compares, the ``dice``
rewrite into SQL, the backend interface and the choice of backend.

One model file and one SQL rewriting serve both backends: tokens become 64-bit integers,
each Bloom filter becomes 64-bit words, and ``dice(x_bf_l, y_bf_r)`` becomes a sum of
``bit_count(word_l & word_r)`` that DuckDB and Spark SQL both evaluate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from openfdp.loaders.linkage.encode import BLOOM_BITS, BLOOM_COLUMNS, TOKEN_COLUMNS

TABLE = "linkage_input"
WORDS = BLOOM_BITS // 64
_DICE = re.compile(r"dice\(\s*(\w+)_(l|r)\s*,\s*(\w+)_(l|r)\s*\)")

EngineName = Literal["duckdb", "spark"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Which backend scores the pairs, and how (``OPENFDP_LINKAGE__*``, docs/scale.md)."""

    name: EngineName = "duckdb"
    threads: int = 1  # DuckDB threads
    spark_master: str = "local[2]"
    spark_partitions: int = 8  # shuffle partitions and Splink's repartitioning
    spark_conf: tuple[tuple[str, str], ...] = ()
    work_dir: Path | None = None  # Spark: Parquet evidence and checkpoints go here
    memory_limit: str = ""  # DuckDB's memory_limit ("": DuckDB's own default)
    temp_dir: Path | None = None  # DuckDB spills here past the memory limit
    chunk_records: int = 0  # score the pairs of this many (left) records at a time; 0: all
    train_records: int = 0  # train on a sample of persons with about this many records; 0: all


class Backend(Protocol):
    """One prepared frame registered as ``linkage_input`` in a SQL engine Splink drives."""

    def linker(self, settings: dict[str, Any]) -> Any:
        """A Splink ``Linker`` over the frame with these (already dice-expanded) settings."""

    def rows(self, result: Any, columns: list[str], order: list[str]) -> list[tuple[Any, ...]]:
        """The given columns of a Splink result table, as tuples sorted by `order`."""

    def close(self) -> None: ...


def prepare(frame: pd.DataFrame, *, signed_words: bool = False) -> pd.DataFrame:
    """Integer columns: each token as a 64-bit integer (cheaper to compare and hash than its
    hex text), each Bloom filter as 64-bit words (``gn_bf0`` .. ``gn_bf7``).

    ``signed_words`` gives the words as signed BIGINT (the same bits): Spark has no
    unsigned type, and ``bit_count`` counts the 64 bits either way.
    """
    if BLOOM_COLUMNS[0] not in frame.columns:  # already prepared (EvidenceStore.frame)
        if not signed_words:
            return frame
        cols = [f"{c}{k}" for c in BLOOM_COLUMNS for k in range(WORDS)]
        signed = {w: frame[w].to_numpy(dtype=np.uint64).view(np.int64) for w in cols}
        return frame.assign(**signed)
    out = frame.drop(columns=list(BLOOM_COLUMNS))
    for col in TOKEN_COLUMNS:
        cells = frame[col]
        present = cells.notna().to_numpy()
        hexes = "".join(cells[present].astype(str))
        # 16 hex digits -> unsigned 64 bits -> the same bits as a signed BIGINT
        values = np.zeros(len(cells), dtype=np.int64)
        values[present] = np.frombuffer(bytes.fromhex(hexes), dtype=">u8").view(">i8")
        out[col] = pd.arrays.IntegerArray(values, ~present)
    empty = bytes(BLOOM_BITS // 8)
    for col in BLOOM_COLUMNS:
        cells = frame[col]
        blobs = b"".join(bytes(v) if isinstance(v, bytes | bytearray) else empty for v in cells)
        words = np.frombuffer(blobs, dtype=">u8").reshape(-1, WORDS).astype(np.uint64)
        if signed_words:
            words = words.view(np.int64)
        for k in range(WORDS):
            out[f"{col}{k}"] = words[:, k]
    return out


def _dice_sql(match: re.Match[str]) -> str:
    (a, sa), (b, sb) = match.group(1, 2), match.group(3, 4)
    common = " + ".join(
        f"CAST(bit_count({a}{k}_{sa} & {b}{k}_{sb}) AS INTEGER)" for k in range(WORDS)
    )
    return f"(2.0 * ({common}) / ({a}_n_{sa} + {b}_n_{sb}))"


def expand_dice(settings: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``dice(x_bf_l, y_bf_r)`` in comparison levels into SQL over the filter words."""
    out: dict[str, Any] = json.loads(json.dumps(settings))
    for comparison in out.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = _DICE.sub(_dice_sql, level["sql_condition"])
    return out


def open_backend(frame: pd.DataFrame, config: EngineConfig) -> Backend:
    """The chosen backend over `frame`; an unavailable Spark is a one-line LinkageError."""
    if config.name == "spark":
        from openfdp.loaders.linkage.engine_spark import SparkBackend  # noqa: PLC0415

        return SparkBackend(frame, config)
    from openfdp.loaders.linkage.engine_duckdb import DuckDBBackend  # noqa: PLC0415

    return DuckDBBackend(frame, config)
