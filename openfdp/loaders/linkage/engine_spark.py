"""The Spark backend of linkage: Splink on pyspark, local mode or a cluster (docs/scale.md).

The prepared evidence (integer tokens and Bloom-filter words, no raw identifier) is written
as Parquet under the work folder and read by Spark from there, so on a cluster that folder
must be one the driver and every executor see at the same path. One SparkSession is kept
per process (``getOrCreate``); its master comes from ``OPENFDP_LINKAGE__SPARK_MASTER``.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from openfdp.loaders.linkage.engine_sql import TABLE, EngineConfig, prepare
from openfdp.store.linkage import LinkageError

log = logging.getLogger("openfdp.linkage")

INSTALL_HINT = "install it with: pip install 'openfdp[spark]'"


def spark_session(config: EngineConfig) -> Any:
    """The process's SparkSession with Splink's similarity jar and a checkpoint folder.

    Raises :class:`LinkageError` with one line when pyspark or Java is missing.
    """
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415
        from splink.internals.spark.jar_location import (  # noqa: PLC0415
            similarity_jar_location,
        )
    except ImportError as exc:
        raise LinkageError(f"the Spark linkage engine needs pyspark; {INSTALL_HINT}") from exc
    builder = SparkSession.builder
    if config.spark_master:  # empty: the master spark-submit or spark-defaults.conf gives
        builder = builder.master(config.spark_master)
    builder = (
        builder.appName("openfdp-linkage")
        .config("spark.jars", similarity_jar_location())
        # DuckDB semantics: a division by zero is NULL, not an error
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(config.spark_partitions))
        .config("spark.default.parallelism", str(config.spark_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in config.spark_conf:
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime errors when no JVM starts
        raise LinkageError(
            "the Spark linkage engine could not start Spark "
            f"({type(exc).__name__}); it needs Java 17 or later on PATH or JAVA_HOME, "
            "and a reachable master (OPENFDP_LINKAGE__SPARK_MASTER)"
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    checkpoints = _work_dir(config) / "checkpoints"
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark


def _work_dir(config: EngineConfig) -> Path:
    path = config.work_dir or Path(tempfile.gettempdir()) / "openfdp-spark"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """The prepared evidence as one Parquet file Spark reads (signed 64-bit words)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    try:
        con.register("prepared", prepare(frame, signed_words=True))
        con.execute(f"COPY prepared TO '{path.as_posix()}' (FORMAT parquet)").fetchall()
    finally:
        con.close()
    return path


class SparkBackend:
    def __init__(self, frame: pd.DataFrame, config: EngineConfig) -> None:
        self.spark = spark_session(config)
        self.path = write_parquet(
            frame, _work_dir(config) / "evidence" / f"{TABLE}-{uuid.uuid4().hex}.parquet"
        )
        self.df = self.spark.read.parquet(str(self.path))
        self.partitions = config.spark_partitions
        self.tables: list[str] = []

    def linker(self, settings: dict[str, Any]) -> Any:
        from splink import Linker, SparkAPI  # noqa: PLC0415

        api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self.spark,
            break_lineage_method="persist",
            num_partitions_on_repartition=self.partitions,
        )
        logging.getLogger("splink").setLevel(logging.ERROR)
        # a table name of its own: the session's catalog outlives this linker
        name = f"evidence_{uuid.uuid4().hex[:12]}"
        self.tables.append(name)
        return Linker(api.register(self.df, table_name=name), settings, log_level=None)

    def rows(self, result: Any, columns: list[str], order: list[str]) -> list[tuple[Any, ...]]:
        sdf = (
            result.as_spark_dataframe()
            .select(*[f"`{c}`" for c in columns])
            .orderBy(*[f"`{c}`" for c in order])
        )
        return [tuple(r) for r in sdf.collect()]

    def close(self) -> None:
        for name in self.tables:
            self.spark.catalog.dropTempView(name)
        self.spark.catalog.clearCache()
        self.path.unlink(missing_ok=True)
