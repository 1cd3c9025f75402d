"""The data version the answer cache keys on (openfdp/store/data_version.py), on the real
server: it stays put while only reads happen, and moves with every committed write,
whichever path writes (a loader, a store module, a plain Cypher statement)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.ontology import load_ontology
from openfdp.settings import Settings
from openfdp.store.data_version import DataVersion, read_data_version
from openfdp.store.driver import open_async_driver
from openfdp.store.opt_outs import lift_absent_opt_outs
from openfdp.store.schema import apply_ontology

pytestmark = pytest.mark.integration


def _version(settings: Settings) -> DataVersion:
    async def read() -> DataVersion:
        driver = open_async_driver(settings)
        try:
            version = await read_data_version(driver, settings.neo4j.database)
        finally:
            await driver.close()
        assert version is not None, "Neo4j sent no bookmark for a read"
        return version

    return asyncio.run(read())


def test_reads_leave_the_version_and_a_committed_write_moves_it(
    clean_graph: Driver, test_settings: Settings
) -> None:
    first = _version(test_settings)
    clean_graph.execute_query("MATCH (n) RETURN count(n) AS n")  # a read
    assert _version(test_settings).key == first.key
    clean_graph.execute_query("CREATE (:CacheProbe {n: 1})")
    second = _version(test_settings)
    assert second.key != first.key
    assert second.store == first.store  # the same store: only the transaction moved
    with clean_graph.session() as s:  # a rolled-back transaction commits nothing
        tx = s.begin_transaction()
        tx.run("CREATE (:CacheProbe {n: 2})").consume()
        tx.rollback()
    assert _version(test_settings).key == second.key


def test_every_write_path_moves_the_version(
    clean_graph: Driver, test_settings: Settings, tmp_path: Path
) -> None:
    apply_ontology(clean_graph, load_ontology(), test_settings.neo4j.database)
    folder = tmp_path / "opt-outs"
    folder.mkdir()
    (folder / "opt_outs.csv").write_text("nhs_number\n9434765919\n", encoding="utf-8")
    writes: list[tuple[str, Callable[[], object]]] = [
        ("a load", lambda: load_feed(
            "csv", [folder], cfg=test_settings, driver=clean_graph, ontology=load_ontology(),
            quarantine_dir=folder / "q")),
        ("an opt-out lifted by a store module", lambda: lift_absent_opt_outs(
            clean_graph, test_settings.privacy.domain, [], database=test_settings.neo4j.database)),
        ("a plain Cypher statement", lambda: clean_graph.execute_query(
            "MATCH (p:PseudonymisedPerson) SET p.ndoo_opt_out = true")),
    ]  # fmt: skip
    for name, write in writes:
        before = _version(test_settings).key
        write()
        assert _version(test_settings).key != before, name
