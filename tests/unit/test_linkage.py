"""Pure parts of linkage: normalisation, encodings, threshold banding, clusters, model files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from openfdp.loaders.linkage import normalise
from openfdp.loaders.linkage.clusters import PersonPair, UnionFind, band, cluster_ids, person_pairs
from openfdp.loaders.linkage.config import DEFAULT_MODEL, Thresholds, load_model
from openfdp.loaders.linkage.encode import (
    BLOOM_BITS,
    TOKEN_COLUMNS,
    Encoder,
    dice,
    has_quasi_identifiers,
)
from openfdp.loaders.linkage.engine import ScoredPair, TrainingFailed, train
from openfdp.loaders.model import IdentityEvidence
from openfdp.store.linkage import LinkageError, task_id

pytestmark = pytest.mark.unit

ENC = Encoder(key=b"unit-test-key", domain="unit")


def ev(**kw: str | None) -> IdentityEvidence:
    return IdentityEvidence(person_ref={"pseudo_id": "p"}, provider_ods="RXX", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mary-Ann O'Neil", "MARYANNONEIL"),
        ("  mary ann  oneil ", "MARYANNONEIL"),
        ("Zoë", "ZOE"),
        ("Dr John Smith", "JOHNSMITH"),
        ("Dr", "DR"),  # a title on its own is kept rather than lost
        ("", None),
        ("--", None),
        (None, None),
    ],
)
def test_name(raw: str | None, expected: str | None) -> None:
    assert normalise.name(raw) == expected


def test_birth_date_parts_keep_mistyped_dates() -> None:
    assert normalise.birth_date("1980-02-13") == normalise.DateParts("1980", "02", "13")
    assert normalise.birth_date("19800213") == normalise.DateParts("1980", "02", "13")
    assert normalise.birth_date("1980-13-02") == normalise.DateParts("1980", "13", "02")
    assert normalise.birth_date("1980-00-02") is None
    assert normalise.birth_date("13/02/1980") is None
    assert normalise.birth_date(None) is None


def test_postcode_sex_identifier_address() -> None:
    assert normalise.postcode("ls1 6ab") == normalise.PostcodeParts("LS16AB", "LS1 6", "LS1")
    assert normalise.postcode("SW1A 1AA") == normalise.PostcodeParts("SW1A1AA", "SW1A 1", "SW1A")
    assert normalise.postcode("4223") == normalise.PostcodeParts("4223", None, None)
    assert normalise.postcode("X") is None
    assert [normalise.sex(x) for x in ("m", "Female", "2", "U", None)] == [
        "M",
        "F",
        "F",
        None,
        None,
    ]
    assert normalise.identifier("943 476 5919") == "9434765919"
    assert normalise.identifier("12") is None
    assert normalise.address_line("12 Station Road") == normalise.address_line("12 STATION RD")
    assert normalise.bigrams("ANN") == ["_A", "AN", "NN", "N_"]


def test_tokens_are_keyed_and_hide_the_value() -> None:
    row = ENC.encode(ev(given_name="Olivia", family_name="Smith", birth_date="1980-02-13"))
    same = ENC.encode(ev(given_name="OLIVIA ", family_name="smith", birth_date="1980-02-13"))
    other_key = Encoder(key=b"another-key", domain="unit").encode(ev(given_name="Olivia"))
    other_domain = Encoder(key=b"unit-test-key", domain="elsewhere").encode(ev(given_name="Olivia"))
    assert row["gn_tok"] == same["gn_tok"] and row["fn_tok"] == same["fn_tok"]
    assert row["gn_tok"] not in (other_key["gn_tok"], other_domain["gn_tok"])
    assert len(row["gn_tok"]) == 16 and "OLIVIA" not in json.dumps(
        {k: str(v) for k, v in row.items()}
    )
    # the day/month swap of one date is the date token of the other
    swapped = ENC.encode(ev(birth_date="1980-13-02"))
    assert swapped["dob_tok"] == row["dob_swap_tok"]
    assert swapped["dob_y_tok"] == row["dob_y_tok"] and swapped["dob_md_tok"] != row["dob_md_tok"]


def test_phonetic_tokens_agree_on_spelling_variants() -> None:
    a = ENC.encode(ev(family_name="Stephen"))
    b = ENC.encode(ev(family_name="Steven"))
    c = ENC.encode(ev(family_name="Patel"))
    assert a["fn_tok"] != b["fn_tok"] and a["fn_ph"] == b["fn_ph"] != c["fn_ph"]


def test_bloom_filters_measure_similarity() -> None:
    def bf(name: str) -> bytes:
        value = ENC.encode(ev(given_name=name))["gn_bf"]
        assert isinstance(value, bytes) and len(value) == BLOOM_BITS // 8
        return value

    assert dice(bf("Catherine"), bf("Catherine")) == 1.0
    assert dice(bf("Catherine"), bf("Catherina")) >= 0.8
    assert dice(bf("Catherine"), bf("Catharine")) >= 0.7
    assert dice(bf("Catherine"), bf("Oliver")) < 0.3
    row = ENC.encode(ev(given_name="Catherine"))
    assert row["gn_bf_n"] == int.from_bytes(row["gn_bf"], "big").bit_count() > 0


def test_empty_evidence_encodes_to_nothing() -> None:
    row = ENC.encode(ev())
    assert all(row[c] is None for c in TOKEN_COLUMNS) and not has_quasi_identifiers(row)
    assert has_quasi_identifiers(ENC.encode(ev(postcode="LS1 6AB")))


def test_unverified_nhs_number_shares_the_encoding_of_a_verified_one() -> None:
    verified = ENC.encode(ev(nhs_number="9434765919"))
    typo = ENC.encode(ev(unverified_nhs_number="943 476 5991"))
    assert verified["id_tok"] != typo["id_tok"]
    assert dice(verified["id_bf"], typo["id_bf"]) >= 0.7


@pytest.mark.parametrize(
    ("p", "verdict"),
    [(0.999, "match"), (0.95, "match"), (0.9499, "review"), (0.5, "review"), (0.49, "none")],
)
def test_threshold_banding(p: float, verdict: str) -> None:
    assert Thresholds(match=0.95, review=0.5).band(p) == verdict


def test_band_splits_pairs() -> None:
    pairs = [
        PersonPair("a", "b", 0.99, 9, ()),
        PersonPair("a", "c", 0.6, 1, ()),
        PersonPair("b", "c", 0.1, -3, ()),
    ]
    banded = band(pairs, Thresholds(match=0.95, review=0.5))
    assert [(p.a, p.b) for p in banded.links] == [("a", "b")]
    assert [(p.a, p.b) for p in banded.reviews] == [("a", "c")]


def test_union_find_clusters_use_lowest_id() -> None:
    assert cluster_ids([("d", "b"), ("b", "c"), ("x", "y")]) == {
        "b": "b",
        "c": "b",
        "d": "b",
        "x": "x",
        "y": "x",
    }
    uf = UnionFind()
    assert uf.union("a", "b") is True and uf.union("b", "a") is False


def test_union_find_keeps_verified_persons_apart() -> None:
    uf = UnionFind(frozenset({"v1", "v2"}))
    assert uf.union("v1", "u")
    assert not uf.can_union("u", "v2")  # u already belongs with v1
    assert uf.can_union("u", "w") and uf.union("u", "w")
    assert not uf.can_union("w", "v2") and uf.can_union("w", "v1")


def test_person_pairs_keep_the_strongest_record_pair() -> None:
    def sp(left: str, right: str, p: float) -> ScoredPair:
        return ScoredPair(f"r{left}{p}", f"r{right}{p}", left, right, p, p * 10, ("x",))

    out = person_pairs([sp("b", "a", 0.7), sp("a", "b", 0.9), sp("a", "a", 1.0), sp("c", "a", 0.6)])
    assert [(p.a, p.b, p.match_probability) for p in out] == [("a", "b", 0.9), ("a", "c", 0.6)]


def test_task_id_ignores_order() -> None:
    assert task_id("x", "y") == task_id("y", "x") != task_id("x", "z")


def test_default_model_is_settings_data() -> None:
    model = load_model()
    assert model.model_version == "default@2"
    assert model.thresholds.review < model.thresholds.match
    # address line and postcode are one comparison since default@2 (they move together)
    assert set(model.comparison_names) == {
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "nhs_number",
        "address",
    }
    text = DEFAULT_MODEL.read_text()
    # comparisons and rules refer to encoded columns only
    assert "_tok" in text and "given_name_l" not in text and "postcode_l" not in text


def test_bad_model_files_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(LinkageError, match="not valid JSON"):
        load_model(broken)
    data = json.loads(DEFAULT_MODEL.read_text())
    data["thresholds"] = {"match": 0.4, "review": 0.9}
    inverted = tmp_path / "inverted.json"
    inverted.write_text(json.dumps(data))
    with pytest.raises(LinkageError, match="review <= match"):
        load_model(inverted)
    with pytest.raises(LinkageError, match="cannot read"):
        load_model(tmp_path / "missing.json")


def test_too_few_records_cannot_train() -> None:
    frame = pd.DataFrame(
        [{"record_id": "r1", "person_id": "p1", "nhs_verified": False, "pending": True}]
    )
    with pytest.raises(TrainingFailed, match="fewer than the 200"):
        train(frame, load_model())


def test_store_keeps_no_values_in_memory_after_close(tmp_path: Path) -> None:
    from openfdp.loaders.linkage import encode  # noqa: PLC0415
    from openfdp.loaders.linkage.store import EvidenceStore  # noqa: PLC0415
    from openfdp.loaders.privacy import Pseudonymiser  # noqa: PLC0415

    store = EvidenceStore(tmp_path / "e.duckdb", Pseudonymiser(key=b"k", domain="unit"))
    assert (
        store.add(
            [
                ev(given_name="Olivia", family_name="Smith"),
                ev(given_name="Olivia", family_name="Smith"),
            ]
        )
        == 1
    )
    assert encode._phonetic.cache_info().currsize > 0
    store.close()
    assert encode._token.cache_info().currsize == encode._phonetic.cache_info().currsize == 0


def test_dice_in_sql_equals_dice_in_python() -> None:
    import re  # noqa: PLC0415

    from openfdp.loaders.linkage.engine import EngineConfig, _connection, expand_dice  # noqa: PLC0415

    names = ["Catherine", "Catharine", "Oliver", "Olivia", None]
    rows = []
    for i, n in enumerate(names):
        row = ENC.encode(ev(given_name=n))
        # the store hands filters back as bytearray: both must work
        row["gn_bf"] = bytearray(row["gn_bf"]) if i % 2 and row["gn_bf"] else row["gn_bf"]
        rows.append(
            {
                **row,
                "record_id": str(i),
                "person_id": str(i),
                "nhs_verified": False,
                "pending": True,
            }
        )
    settings = {
        "comparisons": [{"comparison_levels": [{"sql_condition": "dice(gn_bf_l, gn_bf_r) >= 0.8"}]}]
    }
    condition = expand_dice(settings)["comparisons"][0]["comparison_levels"][0]["sql_condition"]
    assert "dice(" not in condition and "gn_bf7_l" in condition
    expr = re.sub(r"(\w+)_([lr])\b", r"\2.\1", condition.removesuffix(" >= 0.8"))
    con = _connection(pd.DataFrame(rows), EngineConfig())
    got = con.execute(
        f"SELECT l.record_id, r.record_id, {expr} FROM linkage_input l, linkage_input r "
        "WHERE l.record_id < r.record_id"
    ).fetchall()
    con.close()
    for left, right, value in got:
        a, b = rows[int(left)]["gn_bf"], rows[int(right)]["gn_bf"]
        if a is None or b is None:
            assert value is None
        else:
            assert value == pytest.approx(dice(bytes(a), bytes(b)))
    assert any(v is not None and v >= 0.7 for _, _, v in got)
