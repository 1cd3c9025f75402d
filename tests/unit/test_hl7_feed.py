"""The HL7 v2 ADT feed on the real NHS ITK and pipehat samples, both segment terminators,
files with several messages, malformed messages, and the privacy scan."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from openfdp.loaders.mapping.hl7v2 import map_message
from openfdp.loaders.mapping.hl7v2_segments import parse_ts
from openfdp.loaders.model import MapContext, MappedRecord, Outcome, Rejection, Skipped
from openfdp.loaders.privacy import Pseudonymiser, looks_like_valid_nhs_number
from openfdp.loaders.readers import hl7v2
from tests.data_paths import ITK_ADT as ITK
from tests.data_paths import PIPEHAT

pytestmark = pytest.mark.unit
PSEUDO = Pseudonymiser(b"test-key", "test-domain")
CTX = MapContext(PSEUDO)
# the ITK examples carry NHS number 3333333333, a placeholder (one repeated digit): treated
# as missing, so the person is keyed by the record, never by a token of that number
PLACEHOLDER_KEY = {
    "pseudonymisation_domain": "test-domain",
    "pseudo_id": PSEUDO.person_id(nhs_number="3333333333"),
}


def outcomes(*paths: Path) -> list[Outcome]:
    return list(hl7v2.outcomes(list(paths), CTX))


def itk(name: str) -> str:
    return (ITK / name).read_text()


def test_itk_counts_and_reasons() -> None:
    result = outcomes(ITK)
    assert Counter(type(o).__name__ for o in result) == {"MappedRecord": 3, "Rejection": 2}
    rejected = {(o.position, o.field, o.reason) for o in result if isinstance(o, Rejection)}
    assert rejected == {
        # PR1-3 "ZZS4" is labelled OPCS4 but is not an OPCS-4 code
        ("hl7v2-itk-adt-examples/A01_example.txt#msg1", "PR1-3", "ADT^A01: not a valid OPCS4 code"),
        # PID-7 "196513121515": month 13
        ("hl7v2-itk-adt-examples/A31_example.txt#msg1", "PID-7", "ADT^A31: not a valid date"),
    }


def test_a03_discharge_exact() -> None:
    (rec,) = [o for o in outcomes(ITK / "A03_Example.txt") if isinstance(o, MappedRecord)]
    assert rec.record_key == "RCB:13403891320453338089"
    person, encounter = rec.nodes
    assert person.key != PLACEHOLDER_KEY
    assert person.props == {
        "year_of_birth": 1965,
        "sex_code": "2",
        "area_code": "YO32",
        "nhs_number_verified": False,
        "nhs_number_placeholder": True,
        "cluster_id": person.key["pseudo_id"],
    }
    assert encounter.key == {"encounter_id": "RCB:hl7:11554"}
    assert encounter.props == {
        "encounter_class": "outpatient",
        "start_date_time": datetime(2010, 3, 30, 10, 0, tzinfo=UTC),  # 11:00 BST
        "end_date_time": datetime(2010, 3, 31, 16, 15, tzinfo=UTC),
        "admission_method_code": "82",
        "source_system": "hl7:MATSYSTEM",
        "provider_ods": "RCB",
    }
    assert {(r.type, r.start_label, r.end_label, r.end_key.get("ods_code")) for r in rec.rels} == {
        ("REGISTERED_WITH", "PseudonymisedPerson", "GPPractice", "Y06601"),
        ("SUBJECT_OF", "PseudonymisedPerson", "Encounter", None),
        ("AT_ORGANISATION", "Encounter", "NHSTrust", "RCB"),
        ("AT_ORGANISATION", "Encounter", "Site", "RCB55"),
        ("PART_OF", "Site", "NHSTrust", "RCB"),
    }
    (evidence,) = rec.identities
    assert (evidence.nhs_number, evidence.family_name, evidence.given_name) == (
        None,
        "SMITH",
        "FREDRICA",
    )
    assert evidence.unverified_nhs_number is None
    assert (evidence.birth_date, evidence.postcode) == ("1965-12-13", "YO32 5TT")


def test_a28_is_person_only() -> None:
    (rec,) = outcomes(ITK / "A28_Example.txt")
    assert isinstance(rec, MappedRecord)
    assert [n.label for n in rec.nodes] == ["PseudonymisedPerson"]
    assert rec.nodes[0].key != PLACEHOLDER_KEY
    assert rec.nodes[0].props["nhs_number_placeholder"] is True
    assert [r.type for r in rec.rels] == ["REGISTERED_WITH"]


def test_a01_with_valid_codes_maps_diagnosis_and_procedure() -> None:
    text = itk("A01_example.txt").replace("ZZS4^", "H22.1^").replace("\n", "\r")
    rec = map_message(text.strip(), position="a01#msg1", ctx=CTX)
    assert isinstance(rec, MappedRecord)
    by_label = {n.label: n for n in rec.nodes if n.label != "CodedConcept"}
    assert by_label["Encounter"].key == {"encounter_id": "RCB:hl7:2139"}
    assert by_label["Encounter"].props["encounter_class"] == "inpatient"
    assert by_label["Diagnosis"].key == {"diagnosis_id": "RCB:hl7:2139:dg1:1"}
    assert by_label["Diagnosis"].props == {
        "diagnosis_date": date(2010, 10, 9),
        "code_system": "ICD10",
        "code": "N39.3",
        "display": "Stress Incontinence",
        "provider_ods": "RCB",
        "is_primary": True,
    }
    assert by_label["Procedure"].props["code"] == "H22.1"
    assert by_label["Procedure"].props["code_system"] == "OPCS4"
    concepts = {(n.key["system"], n.key["code"]) for n in rec.nodes if n.label == "CodedConcept"}
    assert concepts == {("ICD10", "N39.3"), ("OPCS4", "H22.1")}
    assert {r.type for r in rec.rels} >= {"HAS_DIAGNOSIS", "HAD_PROCEDURE", "CODED_AS"}


@pytest.mark.parametrize("terminator", ["\r", "\n", "\r\n"])
def test_segment_terminators_and_several_messages(tmp_path: Path, terminator: str) -> None:
    texts = [
        itk(n).strip().replace("\n", "\r")
        for n in ("A03_Example.txt", "A04_example.txt", "A28_Example.txt")
    ]
    path = tmp_path / "many.hl7"
    path.write_bytes(
        (terminator.join(t.replace("\r", terminator) for t in texts) + terminator).encode()
    )
    result = outcomes(path)
    assert [o.position for o in result] == [f"many.hl7#msg{i}" for i in (1, 2, 3)]
    expected = [map_message(t, position="x", ctx=CTX) for t in texts]
    for got, want in zip(result, expected, strict=True):
        assert isinstance(got, MappedRecord) and isinstance(want, MappedRecord)
        assert (got.record_key, got.nodes, got.rels, got.content_hash) == (
            want.record_key,
            want.nodes,
            want.rels,
            want.content_hash,
        )


def test_pipehat_samples_are_skipped_or_mapped_never_raise() -> None:
    result = outcomes(PIPEHAT)
    kinds = Counter(type(o).__name__ for o in result)
    assert kinds == {"Skipped": 20, "MappedRecord": 2}
    assert (
        Counter(o.reason for o in result if isinstance(o, Skipped))[
            "message type ORU^R01 not mapped"
        ]
        == 7
    )
    foreign = [o for o in result if isinstance(o, MappedRecord)]
    for rec in foreign:  # US facilities: surrogate provider codes, no NHS number
        enc = next(n for n in rec.nodes if n.label == "Encounter")
        assert enc.props["provider_ods"].startswith("X") and len(enc.props["provider_ods"]) == 10
        assert rec.nodes[0].props["nhs_number_verified"] is False


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("hello world\rthis is not HL7", "MSH", "message does not start with an MSH segment"),
        ("MSH|^~\\&|PAS|RCB|||20100101||ADT^A01|", "MSH-10", "message has no control id"),
        (
            "MSH|^~\\&|PAS|RCB|||20100101||ADT^A01|42|P|2.4\rEVN||20100101",
            "PID",
            "ADT^A01: no PID segment",
        ),
        (
            "MSH|^~\\&|PAS|RCB|||20100101||ADT^A03|42|P|2.4\rPID|1||3333333333^^^NHS\r"
            + "|".join(["PV1", "1", "I", *[""] * 41, "2010xx01"]),
            "PV1-44",
            "ADT^A03: unparseable timestamp",
        ),
        ("MSH|^~\\&|PAS|RCB|||20100101||ADT^A01|42|P|2.4\rPID|1||123\rPV1|1|I\rLAB|1", None, None),
    ],
)
def test_malformed_messages_are_rejected(text: str, field: str | None, reason: str | None) -> None:
    result = map_message(text, position="m#msg1", ctx=CTX)
    assert isinstance(result, Rejection)
    assert result.position == "m#msg1"
    if reason is not None:
        assert (result.field, result.reason) == (field, reason)
    else:
        assert result.reason.startswith("ADT^A01: unparseable")


def test_garbage_file_is_rejected_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(b"\x00\xff\xfe garbage\n\nmore garbage\n")
    (result,) = outcomes(path)
    assert isinstance(result, Rejection)


def test_timestamps() -> None:
    assert parse_ts("201001021215", "x") == datetime(2010, 1, 2, 12, 15, tzinfo=UTC)  # GMT
    assert parse_ts("20060529090131-0500", "x") == datetime(2006, 5, 29, 14, 1, 31, tzinfo=UTC)
    assert parse_ts("", "x") is None


def test_no_raw_identifier_reaches_a_row() -> None:
    values: list[str] = []
    for rec in [o for o in outcomes(ITK, PIPEHAT) if isinstance(o, MappedRecord)]:
        for node in rec.nodes:
            values += [str(v) for v in (*node.key.values(), *node.props.values())]
        for rel in rec.rels:
            values += [
                str(v)
                for v in (*rel.start_key.values(), *rel.end_key.values(), *rel.props.values())
            ]
    blob = "\n".join(values).upper()
    assert looks_like_valid_nhs_number(re.sub(r"\b[0-9a-fA-F]{16,64}\b", "#", blob)) == []
    for raw in (
        "3333333333",
        "SMITH",
        "FREDRICA",
        "YO32 5TT",
        "19651213",
        "KLEINSAMPLE",
        "56782445",
    ):
        assert raw not in blob


def test_corrupted_messages_never_raise() -> None:
    rng = random.Random(3)
    texts = [p.read_text().strip().replace("\n", "\r") for p in sorted(ITK.glob("*.txt"))]
    alphabet = "|^~\\&\r0123456789ABXYZ "
    kinds: Counter[str] = Counter()
    for _ in range(300):
        chars = list(rng.choice(texts))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(chars))
            roll = rng.random()
            if roll < 0.4:
                chars[pos] = rng.choice(alphabet)
            elif roll < 0.7:
                del chars[pos]
            else:
                chars.insert(pos, rng.choice(alphabet))
        outcome = map_message("".join(chars), position="f#msg1", ctx=CTX)
        kinds[type(outcome).__name__] += 1
    assert kinds["Rejection"] > 0 and kinds["MappedRecord"] > 0


@pytest.mark.parametrize("event", ["A02", "A08"])
def test_transfer_and_update_events_update_the_same_encounter(event: str) -> None:
    discharge = itk("A03_Example.txt").strip().replace("\n", "\r")
    other = discharge.replace("ADT^A03^ADT_A03", f"ADT^{event}^ADT_A01").replace(
        "RCB^MATWRD^Bed 3^RCB55", "RCB^WARD9^Bed 1^RCB02"
    )
    first = map_message(discharge, position="a#msg1", ctx=CTX)
    second = map_message(other, position="b#msg1", ctx=CTX)
    assert isinstance(first, MappedRecord) and isinstance(second, MappedRecord)
    enc_first = next(n for n in first.nodes if n.label == "Encounter")
    enc_second = next(n for n in second.nodes if n.label == "Encounter")
    assert enc_first.key == enc_second.key == {"encounter_id": "RCB:hl7:11554"}
    sites = {r.end_key["ods_code"] for r in second.rels if r.type == "AT_ORGANISATION"}
    assert sites == {"RCB", "RCB02"}


def test_other_adt_events_are_skipped() -> None:
    text = itk("A28_Example.txt").strip().replace("\n", "\r").replace("ADT^A28", "ADT^A17")
    result = map_message(text, position="m#msg1", ctx=CTX)
    assert result == Skipped("hl7", "m#msg1", "message type ADT^A17 not mapped")
