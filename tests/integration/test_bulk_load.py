"""Bulk backfill (neo4j-admin import) gives the same graph as the incremental load, with one
mapping process and with two (the trust extracts' files split between them).

The incremental load runs on the session's test server; the bulk import needs a server it may
stop and replace the store of, so each bulk run gets its own (state folder under the test's
tmp folder, port OPENFDP_TEST_BULK_PORT, default the test port + 100, and the next one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.loaders.bulk import BulkFeed, DatabaseNotEmpty, bulk_load, csv_chunks
from openfdp.loaders.generate import generate
from openfdp.loaders.model import MapContext
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import hl7v2, ods, trust_csv
from openfdp.ontology import Ontology, load_ontology
from openfdp.settings import REFERENCE_DATA_DIR, Settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from openfdp.store.fingerprint import graph_counts, graph_fingerprint
from openfdp.store.schema import apply_ontology
from tests.conftest import TEST_BOLT_PORT, make_test_settings, wipe

pytestmark = pytest.mark.integration

BULK_PORT = int(os.environ.get("OPENFDP_TEST_BULK_PORT", str(TEST_BOLT_PORT + 100)))


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> list[BulkFeed]:
    out = tmp_path_factory.mktemp("extracts")
    generate(out, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=120, seed=5)
    csvs = sorted(p for p in out.glob("*.csv") if p.name not in {"answers.csv", "rtt_answers.csv"})
    ods_dir = REFERENCE_DATA_DIR / "nhs-ods-jhau-nhs-spend"
    ods_files = sorted(ods_dir.glob("*.csv"))
    hl7_files = sorted((REFERENCE_DATA_DIR / "hl7v2-itk-adt-examples").glob("*.txt"))
    return [
        BulkFeed("ods", ods.outcomes, [ods_dir], ods_files),
        BulkFeed("csv", trust_csv.outcomes, csvs, csvs, csv_chunks(csvs)),
        BulkFeed("hl7", hl7v2.outcomes, hl7_files, hl7_files),
    ]


def _bulk_settings(tmp_path_factory: pytest.TempPathFactory, port: int) -> Settings:
    base = make_test_settings()
    if base.neo4j.external:
        pytest.fail("bulk import needs the local server; unset NEO4J_URI for this test")
    return make_test_settings(
        state_dir=tmp_path_factory.mktemp("bulk-state"),
        neo4j={"bolt_port": port, "password": "openfdp-bulk-password",
               "heap": "512m", "pagecache": "256m"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def bulk_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    s = _bulk_settings(tmp_path_factory, BULK_PORT)
    yield s
    local_server.stop(s)


@pytest.fixture(scope="module")
def bulk_settings_2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    s = _bulk_settings(tmp_path_factory, BULK_PORT + 1)
    yield s
    local_server.stop(s)


@pytest.fixture(scope="module")
def ctx(ontology: Ontology) -> MapContext:
    return map_context(
        pseudonymiser=Pseudonymiser(key=b"bulk-test-key", domain="bulk-test"), ontology=ontology
    )


@pytest.fixture(scope="module")
def incremental(
    neo4j_driver: Driver, ontology: Ontology, feeds: list[BulkFeed], ctx: MapContext,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:  # fmt: skip
    """The incremental loads of the feeds: counts per feed, graph counts and fingerprint."""
    wipe(neo4j_driver)
    apply_ontology(neo4j_driver, ontology)
    counts = {}
    for feed in feeds:
        summary = run_load(
            neo4j_driver, source=feed.source, outcomes=feed.reader(feed.paths, ctx),
            ontology=ontology, input_fingerprint=fingerprint_files(feed.files),
            quarantine_dir=tmp_path_factory.mktemp("q-incremental"), batch_size=300,
        )  # fmt: skip
        counts[feed.source] = (summary.read, summary.loaded, summary.quarantined)
    return {
        "counts": counts,
        "graph": graph_counts(neo4j_driver),
        "fingerprint": graph_fingerprint(neo4j_driver),
    }


def test_bulk_import_gives_the_graph_of_the_incremental_load(
    incremental: dict[str, Any], ontology: Ontology, feeds: list[BulkFeed],
    bulk_settings: Settings, ctx: MapContext, tmp_path: Path,
) -> None:  # fmt: skip
    result = bulk_load(
        bulk_settings, ontology, feeds, ctx,
        work_dir=tmp_path / "bulk-files", quarantine_dir=tmp_path / "q-bulk", workers=1,
    )  # fmt: skip
    assert {s: (x.read, x.loaded, x.quarantined) for s, x in result.summaries} == incremental[
        "counts"
    ]
    assert all(x.reconciles for _, x in result.summaries)
    with open_driver(bulk_settings) as driver:
        assert graph_counts(driver) == incremental["graph"]
        assert graph_fingerprint(driver) == incremental["fingerprint"]
        constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name")
        assert any(r["name"].startswith("ofdp_") for r in constraints)

    # a second bulk import into the now non-empty database is refused, and changes nothing
    with pytest.raises(DatabaseNotEmpty, match="empty database"):
        bulk_load(
            bulk_settings, ontology, feeds, ctx,
            work_dir=tmp_path / "bulk-files-2", quarantine_dir=tmp_path / "q-bulk-2",
        )  # fmt: skip
    with open_driver(bulk_settings) as driver:
        assert graph_fingerprint(driver) == incremental["fingerprint"]


def test_two_mapping_processes_give_the_same_graph(
    incremental: dict[str, Any], ontology: Ontology, feeds: list[BulkFeed],
    bulk_settings_2: Settings, ctx: MapContext, tmp_path: Path,
) -> None:  # fmt: skip
    """`openfdp db import --workers 2`: the extracts' files mapped in two processes, with a
    collector spilling every 1,000 rows; the graph and the counts are those of one process
    (and of the incremental load)."""
    assert feeds[1].chunks is not None and len(feeds[1].chunks) > 2
    result = bulk_load(
        bulk_settings_2, ontology, feeds, ctx, work_dir=tmp_path / "bulk-files",
        quarantine_dir=tmp_path / "q-bulk", workers=2, spill_rows=1_000,
    )  # fmt: skip
    assert result.workers == 2 and result.peak_held <= 1_000
    assert {s: (x.read, x.loaded, x.quarantined) for s, x in result.summaries} == incremental[
        "counts"
    ]
    assert all(x.reconciles for _, x in result.summaries)
    with open_driver(bulk_settings_2) as driver:
        assert graph_counts(driver) == incremental["graph"]
        assert graph_fingerprint(driver) == incremental["fingerprint"]
