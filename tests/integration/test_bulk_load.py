"""Bulk backfill (neo4j-admin import) gives the same graph as the incremental load.

The incremental load runs on the session's test server; the bulk import needs a server it may
stop and replace the store of, so it gets its own (state folder under the test's tmp folder,
port OPENFDP_TEST_BULK_PORT, default the test port + 100).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.bulk import BulkFeed, DatabaseNotEmpty, bulk_load
from openfdp.loaders.generate import generate
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
from tests.conftest import TEST_BOLT_PORT, make_test_settings

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
        BulkFeed("csv", trust_csv.outcomes, csvs, csvs),
        BulkFeed("hl7", hl7v2.outcomes, hl7_files, hl7_files),
    ]


@pytest.fixture(scope="module")
def bulk_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    base = make_test_settings()
    s = make_test_settings(
        state_dir=tmp_path_factory.mktemp("bulk-state"),
        neo4j={"bolt_port": BULK_PORT, "password": "openfdp-bulk-password",
               "heap": "512m", "pagecache": "256m"},
    )  # fmt: skip
    if base.neo4j.external:
        pytest.fail("bulk import needs the local server; unset NEO4J_URI for this test")
    yield s
    local_server.stop(s)


def test_bulk_import_gives_the_graph_of_the_incremental_load(
    clean_graph: Driver, ontology: Ontology, feeds: list[BulkFeed], bulk_settings: Settings,
    tmp_path: Path,
) -> None:  # fmt: skip
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"bulk-test-key", domain="bulk-test"), ontology=ontology
    )
    apply_ontology(clean_graph, ontology)
    incremental = {}
    for feed in feeds:
        summary = run_load(
            clean_graph, source=feed.source, outcomes=feed.reader(feed.paths, ctx),
            ontology=ontology, input_fingerprint=fingerprint_files(feed.files),
            quarantine_dir=tmp_path / "q-incremental", batch_size=300,
        )  # fmt: skip
        incremental[feed.source] = (summary.read, summary.loaded, summary.quarantined)
    expected = graph_fingerprint(clean_graph)
    expected_counts = graph_counts(clean_graph)

    result = bulk_load(
        bulk_settings, ontology, feeds, ctx,
        work_dir=tmp_path / "bulk-files", quarantine_dir=tmp_path / "q-bulk",
    )  # fmt: skip
    assert {s: (x.read, x.loaded, x.quarantined) for s, x in result.summaries} == incremental
    assert all(x.reconciles for _, x in result.summaries)
    with open_driver(bulk_settings) as driver:
        assert graph_counts(driver) == expected_counts
        assert graph_fingerprint(driver) == expected
        constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name")
        assert any(r["name"].startswith("ofdp_") for r in constraints)

    # a second bulk import into the now non-empty database is refused, and changes nothing
    with pytest.raises(DatabaseNotEmpty, match="empty database"):
        bulk_load(
            bulk_settings, ontology, feeds, ctx,
            work_dir=tmp_path / "bulk-files-2", quarantine_dir=tmp_path / "q-bulk-2",
        )  # fmt: skip
    with open_driver(bulk_settings) as driver:
        assert graph_fingerprint(driver) == expected
