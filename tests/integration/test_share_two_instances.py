"""A trust instance and an ICS instance side by side, each on its own Neo4j server, driven
through the command line (docs/federation.md): keys, peers, agreements at both ends, export,
import, receipt and acknowledgement; an incremental product with a new opt-out and a
deletion; the same verified NHS number at two trusts is one person at the ICS; revoking the
agreement removes what came under it, audited, and refuses later products."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import nhs_number_is_valid, pseudonymiser_for
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.audit_log import AuditLog
from openfdp.store.driver import open_driver
from openfdp.store.queries.opt_out import person_opted_out
from tests.conftest import TEST_BOLT_PORT, TEST_PASSWORD, TEST_STATE_DIR, wipe
from tests.integration import share_helpers as h

pytestmark = pytest.mark.integration
ICS_PORT = int(os.environ.get("OPENFDP_TEST_ICS_BOLT_PORT", str(TEST_BOLT_PORT + 5)))
ICS_SERVER = {"bolt_port": ICS_PORT, "password": TEST_PASSWORD, "heap": "512m",
              "pagecache": "256m"}  # fmt: skip


@pytest.fixture(scope="module")
def ics_driver(neo4j_server: object) -> Iterator[Driver]:
    """The ICS instance's own server (its own state folder and port, small heap)."""
    server = h.make_test_settings(state_dir=Path(f"{TEST_STATE_DIR}-ics"), neo4j=ICS_SERVER)
    local_server.start(server)
    driver = open_driver(server)
    yield driver
    driver.close()
    if os.environ.get("OPENFDP_TEST_KEEP_NEO4J") != "1":
        local_server.stop(server)


def ok(cfg: Settings, *args: str) -> dict[str, Any]:
    code, out, err = h.run_cli(cfg, *args, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def agreement_args(sender: str) -> list[str]:
    return ["share", "agreement", "create", "--id", f"DSA-{sender}-QOP", "--sender", sender,
            "--receiver", "QOP", "--legal-basis", "UK GDPR 6(1)(e), 9(2)(h)", "--purpose",
            "planning", "--data-class", "rtt_pathways", "--data-class", "appointments",
            "--start", "2025-01-01"]  # fmt: skip


def setup_pair(trust: Settings, ics: Settings) -> None:
    for cfg in (trust, ics):
        ok(cfg, "share", "keys", "init")
    ok(ics, "share", "peer", "add", "--ods", str(trust.instance.ods), "--public-key",
       str(trust.state_dir / "keys" / "signing.pub"))  # fmt: skip
    ok(trust, "share", "peer", "add", "--ods", "QOP", "--public-key",
       str(ics.state_dir / "keys" / "signing.pub"))  # fmt: skip
    ok(trust, *agreement_args(str(trust.instance.ods)))
    ok(ics, *agreement_args(str(trust.instance.ods)))


def ship(trust: Settings, ics: Settings, out: Path) -> dict[str, Any]:
    """Export at the trust, import at the ICS, acknowledge at the trust."""
    exported = ok(trust, "share", "export", "--agreement", f"DSA-{trust.instance.ods}-QOP",
                  "--out", str(out))  # fmt: skip
    imported = ok(ics, "share", "import", str(exported["folder"]))
    ok(trust, "share", "ack", str(imported["receipt"]))
    return {"export": exported, "import": imported}


def verified_nhs(path: Path) -> set[str]:
    return {
        r["nhs_number"] for r in csv.DictReader(path.open()) if nhs_number_is_valid(r["nhs_number"])
    }


def test_incremental_products_opt_out_deletion_and_withdrawal(
    neo4j_driver: Driver, ics_driver: Driver, tmp_path: Path
) -> None:
    trust = h.trust_settings(tmp_path)
    ics = h.ics_settings(tmp_path, neo4j=ICS_SERVER)
    folder = h.extracts(tmp_path)
    wipe(neo4j_driver)
    wipe(ics_driver)
    h.load_trust(neo4j_driver, trust, h.trust_files(folder))
    h.apply_ontology(ics_driver, h.load_ontology())
    setup_pair(trust, ics)
    first = ship(trust, ics, tmp_path / "out")
    rows = first["export"]["rows"]
    label_counts = "MATCH (n:RTTPathway) RETURN count(n)"
    assert h.count(ics_driver, label_counts) == h.count(neo4j_driver, label_counts) > 5
    assert h.count(ics_driver, "MATCH (b:LoadBatch {source_instance: 'RM3', product_imported: "
                   "true}) WHERE b.export_id IS NOT NULL RETURN count(b)") == 1  # fmt: skip

    opted = (
        "MATCH (p:PseudonymisedPerson) WHERE EXISTS { (p)-[:SUBJECT_OF]->() } AND "
        + person_opted_out("p")
        + " RETURN count(p)"
    )
    opted_before = h.count(ics_driver, opted)

    # at the trust: a new opt-out of one of its patients, and an appointment deleted
    listed = {r["nhs_number"] for r in csv.DictReader((folder / "opt_outs.csv").open())}
    newly = sorted(verified_nhs(folder / "waiting_list-RM3.csv") - listed)[0]
    opt_outs = tmp_path / "later" / "opt_outs.csv"
    opt_outs.parent.mkdir()
    opt_outs.write_text((folder / "opt_outs.csv").read_text() + f"{newly},\n")
    h.load_trust(neo4j_driver, trust, [opt_outs])
    gone = neo4j_driver.execute_query(
        "MATCH (a:Appointment) WITH a ORDER BY a.appointment_id LIMIT 1 "
        "WITH a, a.appointment_id AS id DETACH DELETE a RETURN id"
    ).records[0]["id"]
    second = ship(trust, ics, tmp_path / "out")
    later = second["export"]["rows"]
    assert later["tombstones.jsonl.xz"] == 1
    assert 0 < later["nodes.jsonl.xz"] < rows["nodes.jsonl.xz"] / 4  # only what changed
    assert h.count(ics_driver, "MATCH (a:Appointment {appointment_id: $id}) RETURN count(a)",
                   id=gone) == 0  # fmt: skip
    assert h.count(ics_driver, opted) == h.count(neo4j_driver, opted) >= 1
    assert h.count(ics_driver, opted) == opted_before + 1

    # withdrawal at the ICS: everything that came under the agreement goes, audited
    done = ok(ics, "share", "agreement", "revoke", "DSA-RM3-QOP")
    assert done["records_removed"] > 100
    assert h.count(ics_driver, "MATCH (n) WHERE n:RTTPathway OR n:Appointment OR "
                   "n:PseudonymisedPerson OR n:SourceRecord RETURN count(n)") == 0  # fmt: skip
    log = AuditLog(ics.state_dir / "audit")
    assert log.verify().ok
    revoked = [e for e in log.events() if e.get("operation") == "agreement revoke"]
    assert revoked[-1]["result_size"] == done["records_removed"]
    assert revoked[-1]["agreement_id"] == "DSA-RM3-QOP"
    third = ok(
        trust, "share", "export", "--agreement", "DSA-RM3-QOP", "--out", str(tmp_path / "out")
    )
    code, _, err = h.run_cli(ics, "share", "import", str(third["folder"]))
    assert code == 1 and "revoked" in err

    # ending the agreement at the trust changes its status only: its own data stays
    pathways = h.count(neo4j_driver, "MATCH (n:RTTPathway) RETURN count(n)")
    with EvidenceStore(default_path(trust.state_dir), pseudonymiser_for(trust)) as store:
        evidence = store.count()
    ended = ok(trust, "share", "agreement", "end", "DSA-RM3-QOP")
    assert ended["status"] == "ended" and ended["records_removed"] == 0
    assert h.count(neo4j_driver, "MATCH (n:RTTPathway) RETURN count(n)") == pathways
    with EvidenceStore(default_path(trust.state_dir), pseudonymiser_for(trust)) as store:
        assert store.count() == evidence > 0
    code, _, err = h.run_cli(trust, "share", "export", "--agreement", "DSA-RM3-QOP", "--out",
                             str(tmp_path / "out"))  # fmt: skip
    assert code == 1 and "is ended" in err


def test_the_same_verified_nhs_number_at_two_trusts_is_one_person_at_the_ics(
    neo4j_driver: Driver, ics_driver: Driver, tmp_path: Path
) -> None:
    folder = h.extracts(tmp_path)
    ics = h.ics_settings(tmp_path, neo4j=ICS_SERVER)
    wipe(ics_driver)
    h.apply_ontology(ics_driver, h.load_ontology())
    for ods in ("RM3", "R0A"):  # through the Python API (the command line is tested above)
        trust = h.trust_settings(tmp_path, ods)
        wipe(neo4j_driver)
        h.load_trust(neo4j_driver, trust, h.trust_files(folder, ods))
        h.pair_keys(trust, ics)
        for driver, cfg in ((neo4j_driver, trust), (ics_driver, ics)):
            h.agree(driver, cfg, sender=ods, agreement_id=f"DSA-{ods}-QOP")
        product = h.export(neo4j_driver, trust, tmp_path / "out", f"DSA-{ods}-QOP")
        assert h.import_(ics_driver, ics, product.folder).status == "imported"
    both = verified_nhs(folder / "waiting_list-RM3.csv") | verified_nhs(
        folder / "outpatient_appointments-RM3.csv"
    )
    other = verified_nhs(folder / "waiting_list-R0A.csv") | verified_nhs(
        folder / "outpatient_appointments-R0A.csv"
    )
    shared = both & other
    assert shared
    at_both = (
        "MATCH (p:PseudonymisedPerson) WHERE EXISTS { (p)-[:SUBJECT_OF]->({provider_ods: 'RM3'}) }"
        " AND EXISTS { (p)-[:SUBJECT_OF]->({provider_ods: 'R0A'}) } RETURN count(p)"
    )
    assert h.count(ics_driver, at_both) == len(shared)

    # withdrawing RM3's agreement: its records go, persons R0A also sent stay
    from openfdp.loaders.share.withdraw import withdraw  # noqa: PLC0415

    of = "MATCH (n) WHERE n.provider_ods = $ods AND (n:RTTPathway OR n:Appointment) RETURN count(n)"
    r0a = h.count(ics_driver, of, ods="R0A")
    done = withdraw(ics_driver, ics, "DSA-RM3-QOP", "revoke")
    assert done["counts"]["PseudonymisedPerson"] > 0
    assert h.count(ics_driver, of, ods="RM3") == 0
    assert h.count(ics_driver, of, ods="R0A") == r0a > 0
    persons = "MATCH (p:PseudonymisedPerson) RETURN count(p)"
    assert h.count(ics_driver, persons) == h.count(
        ics_driver,
        "MATCH (p:PseudonymisedPerson) WHERE EXISTS { (p)-[:SUBJECT_OF]->({provider_ods: 'R0A'}) }"
        " OR p.ndoo_opt_out RETURN count(p)",
    )


def test_products_of_two_trusts_imported_together_equal_one_by_one_and_one_bad_refuses_all(
    neo4j_driver: Driver, ics_driver: Driver, tmp_path: Path
) -> None:
    """``share import A B``: every product verified before any is loaded (a changed byte in
    one refuses both, nothing loaded), then one linkage run; the graph equals importing them
    one after the other."""
    from openfdp.loaders.share.errors import ProductRefused  # noqa: PLC0415
    from openfdp.loaders.share.importer import import_products  # noqa: PLC0415
    from openfdp.store.fingerprint import graph_fingerprint  # noqa: PLC0415

    folder = h.extracts(tmp_path)
    ics = h.ics_settings(tmp_path, neo4j=ICS_SERVER)
    products = []
    for ods in ("RM3", "R0A"):
        trust = h.trust_settings(tmp_path, ods)
        wipe(neo4j_driver)
        h.load_trust(neo4j_driver, trust, h.trust_files(folder, ods))
        h.pair_keys(trust, ics)
        h.agree(neo4j_driver, trust, sender=ods, agreement_id=f"DSA-{ods}-QOP")
        products.append(h.export(neo4j_driver, trust, tmp_path / "out", f"DSA-{ods}-QOP").folder)

    def fresh_ics() -> None:
        wipe(ics_driver)
        h.apply_ontology(ics_driver, h.load_ontology())
        for ods in ("RM3", "R0A"):
            h.agree(ics_driver, ics, sender=ods, agreement_id=f"DSA-{ods}-QOP")

    fresh_ics()
    for product in reversed(products):  # in agreement order, as one import of both loads them
        assert h.import_(ics_driver, ics, product).status == "imported"
    one_by_one = graph_fingerprint(ics_driver)

    bad = tmp_path / "bad" / products[1].name
    shutil.copytree(products[1], bad)
    data = bytearray((bad / "nodes.jsonl.xz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (bad / "nodes.jsonl.xz").write_bytes(bytes(data))
    fresh_ics()
    before = graph_fingerprint(ics_driver)
    with pytest.raises(ProductRefused, match="SHA-256"):
        import_products(ics_driver, ics, h.load_ontology(), [products[0], bad])
    assert graph_fingerprint(ics_driver) == before

    together = import_products(ics_driver, ics, h.load_ontology(), products)
    assert [s.status for s in together] == ["imported", "imported"]
    assert {s.sender_ods for s in together} == {"RM3", "R0A"}
    assert all(s.receipt is not None and s.receipt.exists() for s in together)
    assert graph_fingerprint(ics_driver) == one_by_one
