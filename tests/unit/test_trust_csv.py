"""Trust CSV mapping and validation (pure: no database)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from openfdp.loaders.errors import UnknownExtract
from openfdp.loaders.mapping.trust_csv_common import Line
from openfdp.loaders.mapping.trust_csv_patient import (
    map_opt_out,
    map_outpatient,
    map_waiting_list_group,
)
from openfdp.loaders.mapping.trust_csv_resources import map_staff, map_ward_bed
from openfdp.loaders.mapping.trust_csv_supply import map_dpa
from openfdp.loaders.model import MapContext, MappedRecord, Rejection
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv

pytestmark = pytest.mark.unit

CTX = MapContext(
    pseudonymiser=Pseudonymiser(key=b"k", domain="d"),
    code_lists={
        "RTT_STATUS": {c: c for c in ("10", "11", "12", "20", "21", "30", "33", "90", "99")},
        "TFC": {"110": "Trauma and Orthopaedics", "130": "Ophthalmology"},
        "PRIORITY_TYPE": {"1": "Routine", "2": "Urgent", "3": "Two week wait"},
        "SEX": {"1": "Male", "2": "Female", "9": "Not specified", "X": "Not known"},
        "WAITING_LIST_TYPE": {"IRTT": "", "ORTT": ""},
    },
)
VALID_NHS = "9434765919"
PATIENT = {
    "provider_ods": "RJ1", "local_patient_id": "L1", "nhs_number": VALID_NHS,
    "given_name": "Ada", "family_name": "Lovelace", "birth_date": "1980-12-10", "sex": "2",
    "postcode": "ls1 4ap", "address_line": "1 Park Road",
}  # fmt: skip
WL = {
    **PATIENT, "ppid": "P1", "ppid_issuer_ods": "RJ1", "referral_id": "R1",
    "referral_received_date": "2026-01-05", "tfc": "110", "priority_type": "1",
    "wl_entry_id": "W1", "waiting_list_type": "IRTT", "decided_to_admit_date": "2026-02-01",
}  # fmt: skip


def wl_line(n: int, status: str, day: str, **over: str) -> Line:
    row = {**WL, "event_seq": str(n), "status_code": status, "activity_date": day, **over}
    return Line("waiting_list", "wl.csv", n + 1, row)


def labels(rec: MappedRecord) -> list[str]:
    return [n.label for n in rec.nodes]


def test_waiting_list_group_derives_periods_on_the_last_record() -> None:
    out = map_waiting_list_group(
        [
            wl_line(1, "10", "2026-01-05"),
            wl_line(2, "20", "2026-02-01"),
            wl_line(3, "30", "2026-03-01"),
        ],
        CTX,
    )
    assert all(isinstance(o, MappedRecord) for o in out)
    last = out[-1]
    assert isinstance(last, MappedRecord)
    (period,) = [n for n in last.nodes if n.label == "RTTPeriod"]
    assert period.key == {"period_id": "RJ1:P1:2026-01-05"}
    assert period.props["length_days"] == 55 and period.props["status"] == "closed"
    # the first day counted over 18 weeks (126 days is within; test_rtt_rules.py)
    assert period.props["breach_date_18w"].isoformat() == "2026-05-12"
    assert {"pathway_status": "closed"} in [n.props for n in last.nodes if n.label == "RTTPathway"]
    first = out[0]
    assert isinstance(first, MappedRecord) and "RTTPeriod" not in labels(first)
    assert first.record_key == "RJ1:P1:1"


def test_person_is_pseudonymised_and_raw_identifiers_stay_in_evidence() -> None:
    (rec,) = map_waiting_list_group([wl_line(1, "10", "2026-01-05")], CTX)
    assert isinstance(rec, MappedRecord)
    (person,) = [n for n in rec.nodes if n.label == "PseudonymisedPerson"]
    assert person.key == {
        "pseudonymisation_domain": "d",
        "pseudo_id": CTX.pseudonymiser.person_id(nhs_number=VALID_NHS),
    }
    assert person.props == {
        "nhs_number_verified": True, "year_of_birth": 1980, "sex_code": "2", "area_code": "LS1",
        "cluster_id": person.key["pseudo_id"],
    }  # fmt: skip
    flat = repr([(n.key, n.props) for n in rec.nodes]) + repr(rec.rels) + rec.record_key
    for raw in (VALID_NHS, "Ada", "Lovelace", "1980-12-10", "LS1 4AP", "ls1 4ap", "Park Road"):
        assert raw not in flat
    (ev,) = rec.identities
    assert (ev.nhs_number, ev.given_name, ev.postcode, ev.birth_date) == (
        VALID_NHS,
        "Ada",
        "LS1 4AP",
        "1980-12-10",
    )
    assert VALID_NHS not in repr(ev)


def test_invalid_nhs_number_keys_the_person_by_local_id_unverified() -> None:
    (rec,) = map_waiting_list_group([wl_line(1, "10", "2026-01-05", nhs_number="9434765918")], CTX)
    assert isinstance(rec, MappedRecord)
    (person,) = [n for n in rec.nodes if n.label == "PseudonymisedPerson"]
    assert person.key["pseudo_id"] == CTX.pseudonymiser.person_id(
        nhs_number=None, provider_ods="RJ1", local_patient_id="L1"
    )
    assert person.props["nhs_number_verified"] is False
    assert rec.identities[0].nhs_number is None
    assert rec.identities[0].unverified_nhs_number == "9434765918"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"activity_date": "2026-13-01"}, "activity_date"),
        ({"ppid": ""}, "ppid"),
        ({"tfc": "999"}, "tfc"),
        ({"status_code": "77"}, "status_code"),
        ({"ppid_issuer_ods": "R-J1"}, "ppid_issuer_ods"),
        ({"priority_type": "7"}, "priority_type"),
        ({"event_seq": "x"}, "event_seq"),
        ({"waiting_list_type": "ZZZZ"}, "waiting_list_type"),
        ({"dna_communicated": "maybe"}, "dna_communicated"),
        ({"sex": "Q"}, "sex"),
    ],
)
def test_broken_fields_are_rejected_with_field_and_reason_without_values(
    over: dict[str, str], field: str
) -> None:
    out = map_waiting_list_group([wl_line(1, "10", "2026-01-05", **over)], CTX)
    (rej,) = out
    assert isinstance(rej, Rejection)
    assert rej.field == field and rej.position == "wl.csv:2" and rej.reason
    for value in over.values():
        if value:
            assert value not in rej.reason
    assert VALID_NHS not in rej.reason and "Lovelace" not in rej.reason


def test_a_rejected_event_leaves_the_rest_of_the_pathway_loading() -> None:
    out = map_waiting_list_group(
        [wl_line(1, "10", "2026-01-05"), wl_line(2, "30", "bad"), wl_line(3, "30", "2026-03-01")],
        CTX,
    )
    assert [type(o).__name__ for o in out] == ["MappedRecord", "Rejection", "MappedRecord"]


def test_opt_out_marks_the_person_and_never_keeps_the_number() -> None:
    rec = map_opt_out(Line("opt_outs", "o.csv", 2, {"nhs_number": "943 476 5919"}), CTX)
    assert isinstance(rec, MappedRecord)
    (node,) = rec.nodes
    assert node.props["ndoo_opt_out"] is True
    assert VALID_NHS not in rec.record_key and VALID_NHS not in repr(node)
    bad = map_opt_out(Line("opt_outs", "o.csv", 3, {"nhs_number": "9434765918"}), CTX)
    assert (
        isinstance(bad, Rejection) and bad.field == "nhs_number" and "9434765918" not in bad.reason
    )


def test_outpatient_links_pathway_and_site() -> None:
    row = {**PATIENT, "appointment_id": "A1", "appointment_date": "2026-02-02", "ppid": "P1",
           "ppid_issuer_ods": "RJ1", "site_ods": "RJ101", "attended_or_dna": "5"}  # fmt: skip
    rec = map_outpatient(Line("outpatient_appointments", "op.csv", 2, row), CTX)
    assert isinstance(rec, MappedRecord)
    assert {r.type for r in rec.rels} == {"SUBJECT_OF", "ON_PATHWAY", "PART_OF", "AT_SITE"}
    bad = map_outpatient(
        Line("outpatient_appointments", "op.csv", 3, {**row, "site_ods": "RJ1"}), CTX
    )
    assert isinstance(bad, Rejection) and bad.field == "site_ods"


def test_resources_carry_no_names_and_key_by_trust() -> None:
    staff = map_staff(
        Line(
            "staff",
            "s.csv",
            2,
            {
                "provider_ods": "RJ1",
                "staff_local_id": "E1",
                "role_code": "CONS",
                "role_name": "Consultant",
            },
        ),
        CTX,
    )
    assert isinstance(staff, MappedRecord)
    assert staff.nodes[0].key == {"staff_id": "RJ1:E1"}
    bed = map_ward_bed(
        Line(
            "wards_beds",
            "w.csv",
            2,
            {
                "provider_ods": "RJ1",
                "site_ods": "RJ101",
                "ward_code": "W1",
                "bed_code": "B1",
                "status": "asleep",
            },
        ),
        CTX,
    )
    assert isinstance(bed, Rejection) and bed.field == "status"
    dpa = map_dpa(
        Line(
            "data_processing_agreements",
            "d.csv",
            2,
            {
                "dpa_id": "D1",
                "controller_ods": "RJ1",
                "processor_supplier_id": "S1",
                "sub_processor_supplier_ids": "S2; S3",
                "purposes": "direct care;planning",
            },
        ),
        CTX,
    )
    assert isinstance(dpa, MappedRecord)
    assert [r.end_key for r in dpa.rels if r.type == "SUB_PROCESSOR"] == [
        {"supplier_id": "S2"},
        {"supplier_id": "S3"},
    ]
    assert dpa.nodes[0].props["purposes"] == ["direct care", "planning"]


def test_missing_provider_uses_source_option_or_is_rejected() -> None:
    row = {"staff_local_id": "E1", "role_code": "CONS"}
    assert isinstance(map_staff(Line("staff", "s.csv", 2, row), CTX), Rejection)
    ctx = MapContext(pseudonymiser=CTX.pseudonymiser, code_lists=CTX.code_lists, source_ods="RX1")
    rec = map_staff(Line("staff", "s.csv", 2, row), ctx)
    assert isinstance(rec, MappedRecord) and rec.nodes[0].key == {"staff_id": "RX1:E1"}


def test_reader_detects_extracts_by_name_or_header_and_groups_pathways(tmp_path: Path) -> None:
    odd = tmp_path / "ptl_export.csv"  # not a documented name: recognised by its header
    with odd.open("w", newline="") as fh:
        w = csv.DictWriter(fh, [*WL, "event_seq", "status_code", "activity_date"])
        w.writeheader()
        w.writerow({**WL, "event_seq": "1", "status_code": "10", "activity_date": "2026-01-05"})
        w.writerow({**WL, "event_seq": "2", "status_code": "30", "activity_date": "2026-02-05"})
        w.writerow(
            {
                **WL,
                "ppid": "P2",
                "event_seq": "1",
                "status_code": "10",
                "activity_date": "2026-01-09",
            }
        )
    (tmp_path / "answers.csv").write_text("source_file,row_key,true_person_id\n")
    ((_, extract),) = trust_csv.plan([tmp_path])
    assert extract.name == "waiting_list"
    out = list(trust_csv.outcomes([tmp_path], CTX))
    assert len(out) == 3
    periods = [
        n for o in out if isinstance(o, MappedRecord) for n in o.nodes if n.label == "RTTPeriod"
    ]
    assert [(p.key["period_id"], p.props["status"]) for p in periods] == [
        # P2's clock starts at referral receipt (2026-01-05), not its 10 (rules suite)
        ("RJ1:P1:2026-01-05", "closed"), ("RJ1:P2:2026-01-05", "open"),
    ]  # fmt: skip
    with pytest.raises(UnknownExtract):
        trust_csv.plan([tmp_path / "answers.csv"])


def test_unreadable_rows_and_bad_bytes_never_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(
        b"provider_ods,staff_local_id,role_code\n"
        b"RJ1,E1,CONS\n"
        b"RJ1," + b"x" * 200_000 + b",CONS\n"  # larger than the CSV field limit
        b"RJ1,E3,\xff\xfe\n"  # not UTF-8
        b"RJ1,E4,CONS\n"
    )
    out = list(trust_csv.outcomes([path], CTX))
    got = [(type(o).__name__, o.position, getattr(o, "field", None)) for o in out]
    assert got == [
        ("MappedRecord", "staff.csv:2", None),
        ("Rejection", "staff.csv:3", None),
        ("Rejection", "staff.csv:4", "role_code"),
        ("MappedRecord", "staff.csv:5", None),
    ]


def test_a_row_with_more_cells_than_columns_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("provider_ods,staff_local_id,role_code\nRJ1,E1,CONS\nRJ1,E2,CONS,extra\n")
    out = list(trust_csv.outcomes([path], CTX))
    assert isinstance(out[0], MappedRecord)
    assert isinstance(out[1], Rejection) and out[1].position == "staff.csv:3"
    assert out[1].reason == "more cells than the header has columns"
