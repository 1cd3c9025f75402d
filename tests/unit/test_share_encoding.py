"""What a data product carries about persons (docs/federation.md, "Identity across
instances"): linkage evidence under the ICS linkage key (the same tokens at every trust, the
central default unchanged), shared references that never reveal a trust's pseudo_id, typed
values that survive JSON, and the export ledger's incremental bookkeeping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from openfdp.loaders.linkage.encode import Encoder
from openfdp.loaders.linkage.store import EvidenceStore
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, pseudonymiser_for
from openfdp.loaders.share.classes import PERSON, allowed_labels
from openfdp.loaders.share.codec import (
    decode_props,
    encode_props,
    read_lines,
    sha256_file,
    write_lines,
)
from openfdp.loaders.share.errors import ShareError
from openfdp.loaders.share.identity import receiver_person_key, shared_ref
from openfdp.loaders.share.ledger import Ledger
from openfdp.settings import Settings

NHS = "9434765919"  # valid Modulus 11 (NHS Data Dictionary, NHS NUMBER)
LINK = {"link_key": b"ics-linkage-key", "link_domain": "ics-link"}


def _evidence(ps: Pseudonymiser, ods: str) -> IdentityEvidence:
    pid = ps.person_id(nhs_number=NHS)
    return IdentityEvidence(
        person_ref=ps.person_key(pid), provider_ods=ods, nhs_number=NHS, given_name="Ann",
        family_name="Smith", birth_date="1970-01-02", sex_code="2", postcode="LS1 4AB",
    )  # fmt: skip


def _row(tmp: Path, ps: Pseudonymiser, ods: str) -> dict[str, object]:
    with EvidenceStore(tmp / f"{ods}.duckdb", ps) as store:
        store.add([_evidence(ps, ods)])
        frame = store.rows_of(ps.domain, [ps.person_id(nhs_number=NHS)])
    return dict(frame.iloc[0])


def test_two_trusts_encode_evidence_alike_under_the_linkage_key(tmp_path: Path) -> None:
    a = Pseudonymiser(key=b"trust-a-key", domain="trust-a", **LINK)  # type: ignore[arg-type]
    b = Pseudonymiser(key=b"trust-b-key", domain="trust-b", **LINK)  # type: ignore[arg-type]
    assert a.person_id(nhs_number=NHS) != b.person_id(nhs_number=NHS)
    ra, rb = _row(tmp_path, a, "RAA"), _row(tmp_path, b, "RBB")
    for col in ("id_tok", "gn_tok", "dob_tok", "pc_tok"):
        assert ra[col] == rb[col]
    ref_a = shared_ref(a, sender_ods="RAA", pseudo_id="x", id_tok=str(ra["id_tok"]))
    ref_b = shared_ref(b, sender_ods="RBB", pseudo_id="y", id_tok=str(rb["id_tok"]))
    assert ref_a == ref_b and len(ref_a) == 64
    assert ref_a not in {a.person_id(nhs_number=NHS), ra["id_tok"]}


def test_without_a_linkage_key_evidence_is_encoded_as_before(tmp_path: Path) -> None:
    ps = pseudonymiser_for(Settings(state_dir=tmp_path))
    assert ps.linkage_key == ps.key and ps.linkage_domain == ps.domain
    row = _row(tmp_path, ps, "RAA")
    assert row["id_tok"] == Encoder(key=ps.key, domain=ps.domain).token("id", NHS)
    linked = pseudonymiser_for(
        Settings(state_dir=tmp_path, share={"linkage_key": "k2", "linkage_domain": "d2"})
    )
    assert linked.linkage_key == b"k2" and linked.key == ps.key
    assert "k2" not in repr(linked)


def test_local_references_differ_by_sender_and_the_receiver_keys_its_own_domain() -> None:
    ps = Pseudonymiser(key=b"trust", domain="t", **LINK)  # type: ignore[arg-type]
    one = shared_ref(ps, sender_ods="RAA", pseudo_id="p1", id_tok=None)
    assert one != shared_ref(ps, sender_ods="RBB", pseudo_id="p1", id_tok=None)
    ics = Pseudonymiser(key=b"ics", domain="ics")
    key = receiver_person_key(ics, one)
    assert key["pseudonymisation_domain"] == "ics" and key["pseudo_id"] not in {one, "p1"}


def test_typed_values_survive_the_product_files(tmp_path: Path) -> None:
    props = {
        "d": dt.date(2026, 3, 31), "ts": dt.datetime(2026, 3, 31, 8, 30, tzinfo=dt.UTC),
        "t": dt.time(8, 0), "b": b"\x00\xff", "l": ["a", "b"], "n": 3, "none": None,
    }  # fmt: skip
    rows = [{"props": encode_props(props)}]
    write_lines(tmp_path / "a.xz", rows)
    write_lines(tmp_path / "b.xz", rows)
    assert sha256_file(tmp_path / "a.xz") == sha256_file(tmp_path / "b.xz")  # deterministic
    back = decode_props(next(read_lines(tmp_path / "a.xz"))["props"])
    assert back == {k: v for k, v in props.items() if v is not None}


def test_persons_travel_only_with_classes_that_have_record_subjects() -> None:
    assert PERSON in allowed_labels(["rtt_pathways"])
    assert PERSON not in allowed_labels(["beds", "staff"])
    assert "RTTPathway" not in allowed_labels(["appointments"])


def test_the_ledger_folds_an_acknowledged_export_and_ignores_an_older_receipt(
    tmp_path: Path,
) -> None:
    with Ledger(tmp_path / "ledger.duckdb") as led:
        led.record_export("A", "E1", 1, "t1", [("x", "h1"), ("y", "h1")])
        led.record_export("A", "E2", 2, "t2", [("x", "h2"), ("y", "h1"), ("z", "h1")])
        assert led.acked_state("A") == {}
        assert led.acknowledge("E2", "t3") == 3
        assert led.acked_state("A") == {"x": "h2", "y": "h1", "z": "h1"}
        assert led.acknowledge("E1", "t4") == 0  # carried by E2 already
        led.record_export("A", "E3", 3, "t5", [("z", None)])
        led.acknowledge("E3", "t6")
        assert led.acked_state("A") == {"x": "h2", "y": "h1"}
        assert led.last_acked("A") == ("E3", 3)
        with pytest.raises(ShareError, match="not written by this instance"):
            led.acknowledge("nope", "t7")
