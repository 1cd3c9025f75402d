"""The pure decision layer: label-free thresholds, the cluster rule, nickname tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openfdp.loaders.linkage.calibrate import choose_thresholds, expected
from openfdp.loaders.linkage.config import DEFAULT_MODEL, Thresholds, load_model
from openfdp.loaders.linkage.decide import Rules, decide
from openfdp.loaders.linkage.encode import Encoder
from openfdp.loaders.linkage.engine import ScoredPair
from openfdp.loaders.model import IdentityEvidence
from openfdp.store.linkage import LinkageError

pytestmark = pytest.mark.unit

MODEL = load_model()
NAMES = MODEL.comparison_names
LEAST = Thresholds(match=0.5, review=0.05)


def pair(a: str, b: str, p: float, **levels: str) -> ScoredPair:
    """A record pair of persons a and b (record ids = person ids) at given comparison levels."""
    gammas = tuple(MODEL.gamma_of(n, levels[n]) if n in levels else -1 for n in NAMES)
    weights = tuple(5.0 if n in levels else 0.0 for n in NAMES)
    return ScoredPair(a, b, a, b, p, 10.0, (), gammas, weights)


def records(*persons: str) -> dict[str, list[str]]:
    return {x: [x] for x in persons}


def test_a_chain_through_a_weak_link_is_not_one_cluster() -> None:
    """A~B and B~C link on their own, but A and C disagree: the cluster rule keeps one."""
    same = {"given_name": "exact", "date_of_birth": "exact"}
    pairs = [pair("a", "b", 0.99, **same), pair("b", "c", 0.98, **same), pair("a", "c", 0.01)]
    out = decide(pairs, MODEL, Thresholds(0.9, 0.5), records_of=records("a", "b", "c"))
    assert out.clusters["a"] == out.clusters["b"] != out.clusters["c"]
    assert [(p.a, p.b) for p in out.links] == [("a", "b")]
    assert [(p.a, p.b) for p in out.reviews] == [("b", "c")]
    # with A and C agreeing as well, all three are one person
    pairs[2] = pair("a", "c", 0.97, **same)
    out = decide(pairs, MODEL, Thresholds(0.9, 0.5), records_of=records("a", "b", "c"))
    assert len(set(out.clusters.values())) == 1


def test_conflicts_and_household_only_evidence_are_never_auto_linked() -> None:
    rules = Rules.of(MODEL)
    twin = pair("a", "b", 0.999, given_name="different", date_of_birth="exact", sex="exact")
    other_sex = pair("a", "b", 0.999, given_name="exact", date_of_birth="exact", sex="different")
    junior = pair("a", "b", 0.99, given_name="exact", date_of_birth="different", sex="exact")
    assert rules.conflict(twin) and rules.conflict(other_sex) and rules.conflict(junior)
    # an agreeing NHS number (even unverified) says it is one person after all
    same_number = pair(
        "a",
        "b",
        0.999,
        given_name="different",
        date_of_birth="exact",
        sex="exact",
        nhs_number="exact",
    )
    assert rules.conflict(same_number) is None
    # family name, address and sex agree; given name and date of birth speak against it
    household_weights = {"given_name": -3.0, "date_of_birth": -3.0, "nhs_number": 0.0}
    household = ScoredPair(
        "a",
        "b",
        "a",
        "b",
        0.99,
        8.0,
        (),
        tuple(-1 for _ in NAMES),
        tuple(household_weights.get(n, 6.0) for n in NAMES),
    )
    assert rules.linkable(household, LEAST) is not None
    out = decide([twin], MODEL, LEAST, records_of=records("a", "b"))
    assert out.clusters["a"] != out.clusters["b"]
    assert not out.links and len(out.reviews) == 1


def test_two_verified_persons_never_share_a_cluster() -> None:
    same = {"given_name": "exact", "date_of_birth": "exact"}
    pairs = [pair("v1", "x", 0.99, **same), pair("v2", "x", 0.99, **same)]
    out = decide(
        pairs, MODEL, LEAST, records_of=records("v1", "v2", "x"), verified=frozenset({"v1", "v2"})
    )
    assert out.clusters["v1"] != out.clusters["v2"]
    assert len(out.links) == 1 and len(out.reviews) == 1


def test_thresholds_come_from_the_probabilities() -> None:
    """The mean probability of the auto-links is their expected precision (no labels)."""
    probs = [0.999] * 1000 + [0.9] * 10 + [0.6] * 10 + [0.2] * 50 + [0.01] * 100
    t = choose_thresholds(probs, LEAST, MODEL.decision)
    linked = [p for p in probs if p >= t.match]
    assert sum(linked) / len(linked) >= MODEL.decision.target_precision
    assert t.match == 0.9  # adding the 0.6 pairs would drop the expected precision below
    assert t.review < t.match
    point = expected(probs, linked, [], t)
    assert point.expected_recall == pytest.approx(sum(linked) / sum(probs))
    # a file's least threshold still wins over a lower calibrated one
    assert choose_thresholds([0.999] * 10, Thresholds(0.97, 0.5), MODEL.decision).match == 0.999
    assert choose_thresholds([], LEAST, MODEL.decision) == LEAST


def test_nicknames_and_middle_names_share_the_canonical_token() -> None:
    enc = Encoder(key=b"k", domain="unit")

    def canon(given: str) -> str:
        ev = IdentityEvidence(person_ref={"pseudo_id": "p"}, provider_ods="R", given_name=given)
        return str(enc.encode(ev)["gn_canon_tok"])

    assert canon("Bill") == canon("WILLIAM") == canon("William Henry")
    assert canon("Liz") == canon("Elizabeth") != canon("Olivia")


def test_a_conflict_naming_an_unknown_level_is_a_one_line_error(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_MODEL.read_text())
    data["decision"]["conflicts"] = [{"name": "x", "levels": {"sex": ["no such level"]}}]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LinkageError, match="unknown levels of sex"):
        load_model(path)


def test_review_labels_correct_the_expected_precision() -> None:
    """Reviewers found twice the errors the model expected in the band: the auto-links'
    expected error rate is doubled; no decisions, no estimate."""
    from openfdp.loaders.linkage.calibrate import measured_precision  # noqa: PLC0415

    # 100 decided tasks, model expected 60 matches (40 errors), reviewers accepted 20 (80)
    assert measured_precision(0.99, 100, 20, 60) == pytest.approx(0.98)
    assert measured_precision(0.99, 100, 60, 60) == pytest.approx(0.99)
    assert measured_precision(0.99, 0, 0, 0) is None
