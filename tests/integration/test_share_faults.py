"""Faults of sharing data products on the real Neo4j (docs/federation.md): a product whose
check fails loads nothing; the same product twice changes nothing; an import that dies
half-way and is run again equals one clean import; nothing identifying travels.

One server plays both instances in turn: the trust loads and exports, then the graph is
cleared and the ICS (own state folder, keys and pseudonymisation domain, same linkage key)
imports."""

from __future__ import annotations

import datetime as dt
import json
import lzma
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.loaders.share import importer
from openfdp.loaders.share.errors import ProductRefused
from openfdp.loaders.share.manifest import NODES, ONTOLOGY
from openfdp.ontology import compile_sources, load_ontology
from openfdp.ontology.compile import SOURCE_DIR
from openfdp.ontology.sources import read_folder
from openfdp.settings import Settings
from openfdp.store.fingerprint import graph_fingerprint
from tests.conftest import wipe
from tests.integration import share_helpers as h

pytestmark = pytest.mark.integration


@dataclass
class World:
    root: Path
    trust: Settings
    product: Path
    files: list[Path]
    later: Path


@pytest.fixture(scope="module")
def world(neo4j_driver: Driver, tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("share")
    trust = h.trust_settings(root)
    h.pair_keys(trust, h.ics_settings(root))
    files = h.trust_files(h.extracts(root))
    wipe(neo4j_driver)
    h.load_trust(neo4j_driver, trust, files)
    h.agree(neo4j_driver, trust)
    product = h.export(neo4j_driver, trust, root / "out").folder
    later = h.export(neo4j_driver, trust, root / "out").folder  # not acknowledged: all again
    return World(root, trust, product, files, later)


_N = iter(range(1000))


def fresh_ics(world: World) -> Settings:
    """An ICS with a state folder of its own (evidence store, receipts), trusting the trust."""
    ics = h.ics_settings(world.root / f"ics{next(_N)}")
    h.pair_keys(world.trust, ics)
    return ics


def copy(world: World) -> Path:
    target = world.root / f"copy{next(_N)}" / world.product.name
    shutil.copytree(world.product, target)
    return target


def cli(cfg: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args], env={**os.environ, **h.env_of(cfg)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def records(driver: Driver) -> int:
    return h.count(driver, "MATCH (n) WHERE NOT n:CodedConcept AND NOT n:OntologyVersion "
                   "AND NOT n:DataSharingAgreement RETURN count(n)")  # fmt: skip


def test_a_changed_byte_is_refused_with_exit_1_and_nothing_loaded(
    neo4j_driver: Driver, world: World
) -> None:
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    before = graph_fingerprint(neo4j_driver)
    for name, why in ((NODES, "SHA-256"), ("manifest.json", "signature")):
        bad = copy(world)
        data = bytearray((bad / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (bad / name).write_bytes(bytes(data))
        done = cli(ics, "share", "import", str(bad))
        assert done.returncode == 1, done.stderr
        assert why in done.stderr and "Traceback" not in done.stderr
        assert graph_fingerprint(neo4j_driver) == before
        assert not (bad / "receipt.json").exists()


@pytest.mark.parametrize(
    ("case", "agreement", "reason"),
    [
        ("unknown", None, "no data sharing agreement"),
        ("expired", {"end": dt.date(2025, 6, 30)}, "expired on 2025-06-30"),
        ("not started", {"start": dt.date(2099, 1, 1)}, "starts on 2099-01-01"),
        ("class not covered", {"classes": ("appointments",)}, "does not cover data class"),
        ("other sender", {"sender": "R0A"}, "has sender R0A"),
    ],
)
def test_a_product_the_agreement_does_not_allow_is_refused(
    neo4j_driver: Driver, world: World, case: str, agreement: dict[str, Any] | None, reason: str
) -> None:
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics, **(agreement or {}))
    if agreement is None:
        wipe(neo4j_driver)
    before = graph_fingerprint(neo4j_driver)
    with pytest.raises(ProductRefused, match=reason):
        h.import_(neo4j_driver, ics, world.product)
    assert graph_fingerprint(neo4j_driver) == before, case


def test_a_revoked_agreement_refuses_later_products(neo4j_driver: Driver, world: World) -> None:
    from openfdp.loaders.share.withdraw import withdraw  # noqa: PLC0415

    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    withdraw(neo4j_driver, ics, h.AGREEMENT, "revoke")
    before = graph_fingerprint(neo4j_driver)
    with pytest.raises(ProductRefused, match="is revoked"):
        h.import_(neo4j_driver, ics, world.product)
    assert graph_fingerprint(neo4j_driver) == before


def test_the_same_product_twice_changes_nothing(neo4j_driver: Driver, world: World) -> None:
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    first = h.import_(neo4j_driver, ics, world.product)
    assert first.status == "imported" and first.counts["loaded"] > 100
    assert h.count(neo4j_driver, "MATCH (p:PseudonymisedPerson) RETURN count(p)") > 10
    fingerprint = graph_fingerprint(neo4j_driver)
    again = h.import_(neo4j_driver, ics, world.product)
    assert again.status == "already imported"
    assert graph_fingerprint(neo4j_driver) == fingerprint


def clean_import_fingerprint(driver: Driver, world: World) -> str:
    """The fingerprint of one clean import of the world's product into a fresh ICS graph."""
    clean = fresh_ics(world)
    h.become_ics(driver, clean)
    h.import_(driver, clean, world.product)
    return graph_fingerprint(driver)


def test_an_import_killed_half_way_and_run_again_equals_one_clean_import(
    neo4j_driver: Driver, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = clean_import_fingerprint(neo4j_driver, world)

    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    real = importer.product_outcomes

    def dies_after_100(*args: Any) -> Iterator[Any]:
        for n, outcome in enumerate(real(*args)):
            if n == 100:
                raise RuntimeError("killed")
            yield outcome

    monkeypatch.setattr(importer, "product_outcomes", dies_after_100)
    with pytest.raises(RuntimeError, match="killed"):
        importer.import_product(neo4j_driver, ics, load_ontology(), world.product, batch_size=30)
    assert records(neo4j_driver) > 0  # some batches were written
    monkeypatch.setattr(importer, "product_outcomes", real)
    assert h.import_(neo4j_driver, ics, world.product).status == "imported"
    assert graph_fingerprint(neo4j_driver) == expected


def test_an_import_process_killed_mid_way_and_run_again_equals_one_clean_import(
    neo4j_driver: Driver, world: World
) -> None:
    """``openfdp share import`` as a real process, SIGKILLed once part of the product is in
    the graph (small write batches), then run again: the graph equals one clean import."""
    expected = clean_import_fingerprint(neo4j_driver, world)
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    cmd = [sys.executable, "-m", "openfdp.cli", "share", "import", str(world.product),
           "--batch-size", "5"]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, **h.env_of(ics)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 240
    seen = 0
    while proc.poll() is None and time.monotonic() < deadline:
        seen = records(neo4j_driver)
        if seen > 0:
            break
        time.sleep(0.02)  # polling interval, not an assertion
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    assert seen > 0 and records(neo4j_driver) > 0  # part of the product was written
    assert graph_fingerprint(neo4j_driver) != expected  # the killed import is not complete

    again = cli(ics, "share", "import", str(world.product), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "imported"
    assert graph_fingerprint(neo4j_driver) == expected


def test_an_incompatible_ontology_is_refused_naming_the_breaking_change(
    neo4j_driver: Driver, world: World
) -> None:
    bad = copy(world)
    sources = read_folder(SOURCE_DIR)
    sources["person.ttl"] = sources["person.ttl"].replace("year_of_birth", "birth_year")
    sources["core.ttl"] = sources["core.ttl"].replace("year_of_birth", "birth_year")
    theirs = compile_sources(sources)
    rows = [{"file": k, "text": v} for k, v in sorted(sources.items())]
    from openfdp.loaders.share.codec import write_lines  # noqa: PLC0415

    write_lines(bad / ONTOLOGY, rows)

    def change(m: dict[str, Any]) -> None:
        m["ontology_version"] = theirs.version

    h.resign(bad, world.trust, change)
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    before = graph_fingerprint(neo4j_driver)
    with pytest.raises(ProductRefused, match=r"incompatible ontology.*birth_year"):
        h.import_(neo4j_driver, ics, bad)
    assert graph_fingerprint(neo4j_driver) == before


def test_no_identifier_in_any_product_file_or_the_ics_graph(
    neo4j_driver: Driver, world: World
) -> None:
    ids = h.identifiers(world.root, world.files)
    assert all(ids.values())
    texts = h.product_texts(world.product)
    assert len(texts) > 500
    sample = [("c", sorted(ids["nhs"])[0]), ("c", sorted(ids["name"])[0]),
              ("c", sorted(ids["dob"])[0]), ("c", sorted(ids["postcode"])[0])]  # fmt: skip
    assert len(h.scan(sample, ids)) == 4  # the scan finds what it looks for
    assert h.scan(texts, ids) == []
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    h.import_(neo4j_driver, ics, world.product)
    graph = h.graph_texts(neo4j_driver)
    assert len(graph) > 500
    assert h.scan(graph, ids) == []
    with lzma.open(world.product / NODES, "rt") as fh:
        assert "pseudo_id" not in fh.read()  # trust-domain pseudonyms never leave the trust


def test_an_older_product_after_a_later_one_is_refused(neo4j_driver: Driver, world: World) -> None:
    ics = fresh_ics(world)
    h.become_ics(neo4j_driver, ics)
    assert h.import_(neo4j_driver, ics, world.later).status == "imported"
    before = graph_fingerprint(neo4j_driver)
    with pytest.raises(ProductRefused, match=r"product 1 of agreement .* older than product 2"):
        h.import_(neo4j_driver, ics, world.product)
    assert graph_fingerprint(neo4j_driver) == before
