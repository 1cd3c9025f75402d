"""Pair and cluster decisions on people who share a household (docs/linkage.md, "Decisions").

A model is trained once on a generated population living in households (three trusts,
loaders.generate.population/records); each test then adds the records of one household
scenario, scores them with everything else, and checks who ends up in one cluster. Every
scenario also holds a true match (the same person at two trusts) that must still link,
so a test fails both when families merge and when the rule merely refuses everything.

The scenarios are those clinical-safety guidance on patient matching names as wrong-patient
risks: twins, a son named after his father (junior), a married daughter living with her
mother, neighbours sharing a postcode and a common name, and a household member's NHS
number on a record (NHS Digital PDS data quality guidance on "shared" NHS numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openfdp.loaders.generate.population import generate_population
from openfdp.loaders.generate.records import trust_records
from openfdp.loaders.linkage import EvidenceStore, load_model, score
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, nhs_number_is_valid, normalise_nhs_number

pytestmark = pytest.mark.unit

PS = Pseudonymiser(key=b"household-test-key", domain="households")
MODEL = load_model()


def _background() -> list[IdentityEvidence]:
    pop = generate_population(1500, seed=3, as_of=date(2026, 11, 1))
    out = []
    for r in trust_records(pop, ["RA1", "RB2", "RC3"], seed=3):
        out.append(
            rec(
                r.provider_ods,
                r.local_patient_id,
                r.given_name,
                r.family_name,
                r.birth_date,
                r.sex,
                r.address_line,
                r.postcode,
                r.nhs_number,
            )
        )
    return out


def rec(
    trust: str,
    local: str,
    given: str | None,
    family: str | None,
    born: str | None,
    sex: str | None,
    address: str | None,
    postcode: str | None,
    nhs: str | None = None,
) -> IdentityEvidence:
    """One trust's record, keyed as the trust CSV mapper keys it (verified NHS number first)."""
    raw = normalise_nhs_number(nhs)
    verified = raw if raw and nhs_number_is_valid(raw) else None
    pid = PS.person_id(nhs_number=verified, provider_ods=trust, local_patient_id=local)
    return IdentityEvidence(
        person_ref=PS.person_key(pid),
        provider_ods=trust,
        local_patient_id=local,
        nhs_number=verified,
        unverified_nhs_number=None if verified else nhs,
        given_name=given,
        family_name=family,
        birth_date=born,
        sex_code=sex,
        postcode=postcode,
        address_line=address,
    )


def pid(e: IdentityEvidence) -> str:
    return str(e.person_ref["pseudo_id"])


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Background:
    """The generated evidence and the model trained on it once (u sampling, EM)."""
    evidence = _background()
    with EvidenceStore(tmp_path_factory.mktemp("train") / "evidence.duckdb", PS) as store:
        store.add(evidence)
        score(store, MODEL, PS.domain)
        trained = store.trained(MODEL.model_version)
    assert trained is not None
    return Background(evidence, trained)


@dataclass(frozen=True)
class Background:
    evidence: list[IdentityEvidence]
    trained: dict[str, Any]


def clusters(
    tmp_path: Path, background: Background, scenario: list[IdentityEvidence]
) -> dict[str, str]:
    """Cluster id of every person after linking the background plus the scenario."""
    with EvidenceStore(tmp_path / "evidence.duckdb", PS) as store:
        store.add(background.evidence + scenario)
        store.save_trained(MODEL.model_version, background.trained, len(background.evidence))
        scoring = score(store, MODEL, PS.domain)
    decisions, _ = scoring.decide(MODEL)
    return decisions.clusters


def together(cl: dict[str, str], a: IdentityEvidence, b: IdentityEvidence) -> bool:
    return cl.get(pid(a), pid(a)) == cl.get(pid(b), pid(b))


def test_twins_stay_apart_while_each_twin_links_across_trusts(
    tmp_path: Path, background: Background
) -> None:
    home = ("27 Elmfield Road", "LS16 5QD")
    oliver_a = rec("RA1", "T1", "Oliver", "Hartley", "2014-03-09", "1", *home)
    harry_a = rec("RA1", "T2", "Harry", "Hartley", "2014-03-09", "1", *home)
    oliver_b = rec("RB2", "T3", "OLIVER", "HARTLEY", "2014-03-09", "1", "27 Elmfield Rd", "LS165QD")
    harry_c = rec("RC3", "T4", "Harry", "Hartley", "2014-03-09", "1", *home)
    cl = clusters(tmp_path, background, [oliver_a, harry_a, oliver_b, harry_c])
    assert together(cl, oliver_a, oliver_b) and together(cl, harry_a, harry_c)
    assert not together(cl, oliver_a, harry_a)


def test_a_junior_is_not_his_father(tmp_path: Path, background: Background) -> None:
    home = ("4 Moorside Close", "BD9 6LT")
    father_a = rec("RA1", "J1", "John", "Whitaker", "1961-07-23", "1", *home)
    son_a = rec("RA1", "J2", "John", "Whitaker", "1989-11-02", "1", *home)
    father_b = rec("RB2", "J3", "JOHN", "WHITAKER", "1961-07-23", "1", *home)
    son_c = rec("RC3", "J4", "John", "Whitaker", "1989-11-02", "1", "4 Moorside Cl", "BD96LT")
    cl = clusters(tmp_path, background, [father_a, son_a, father_b, son_c])
    assert together(cl, father_a, father_b) and together(cl, son_a, son_c)
    assert not together(cl, father_a, son_a) and not together(cl, father_b, son_c)


def test_a_married_daughter_living_with_her_mother(tmp_path: Path, background: Background) -> None:
    home = ("81 Hawthorn Avenue", "HX3 0PN")
    mother = rec("RA1", "M1", "Margaret", "Greenwood", "1956-02-14", "2", *home)
    daughter_married = rec("RA1", "M2", "Sarah", "Oldroyd", "1984-08-30", "2", *home)
    daughter_maiden = rec("RB2", "M3", "Sarah", "Greenwood", "1984-08-30", "2", *home)
    mother_b = rec("RC3", "M4", "Maggie", "Greenwood", "1956-02-14", "2", *home)
    cl = clusters(tmp_path, background, [mother, daughter_married, daughter_maiden, mother_b])
    assert together(cl, daughter_married, daughter_maiden) and together(cl, mother, mother_b)
    assert not together(cl, mother, daughter_maiden)


def test_neighbours_sharing_a_postcode_and_a_common_name(
    tmp_path: Path, background: Background
) -> None:
    one = rec("RA1", "N1", "David", "Smith", "1972-05-06", "1", "12 Church Lane", "WF1 2AB")
    other = rec("RB2", "N2", "David", "Smith", "1975-01-19", "1", "16 Church Lane", "WF1 2AB")
    one_c = rec("RC3", "N3", "Dave", "Smith", "1972-05-06", "1", "12 Church Ln", "WF1 2AB")
    other_c = rec("RC3", "N4", "David", "Smith", "1975-01-19", "1", "16 Church Lane", "WF12AB")
    cl = clusters(tmp_path, background, [one, other, one_c, other_c])
    assert together(cl, one, one_c) and together(cl, other, other_c)
    assert not together(cl, one, other)


def test_a_household_members_nhs_number_does_not_pull_a_mother_into_her_daughters_cluster(
    tmp_path: Path, background: Background
) -> None:
    home = ("9 Beech Grove", "HD2 1RE")
    mother_no, daughter_no = "9990000026", "9990000018"  # valid Modulus 11 test numbers
    assert nhs_number_is_valid(mother_no) and nhs_number_is_valid(daughter_no)
    # registered at RA1 before the family moved, under the name she goes by
    mother_a = rec(
        "RA1", "H1", "Sue", "Brook", "1962-10-04", "2", "31 Park Road", "HD1 4XZ", mother_no
    )
    # the mother's record at another trust carries her daughter's (valid) number, so it is
    # filed under the daughter's pseudo_id before linkage runs
    mother_wrong = rec("RB2", "H2", "Susan", "Brook", "1962-10-04", "2", *home, daughter_no)
    daughter_a = rec("RA1", "H3", "Emily", "Brook", "1993-04-21", "2", *home, daughter_no)
    mother_c = rec("RC3", "H4", "SUSAN", "BROOK", "1962-10-04", "2", *home)
    daughter_c = rec("RC3", "H5", "Emily", "Brook", "1993-04-21", "2", *home)
    assert pid(mother_wrong) == pid(daughter_a) != pid(mother_a)
    cl = clusters(tmp_path, background, [mother_a, mother_wrong, daughter_a, mother_c, daughter_c])
    assert together(cl, mother_c, mother_a)
    assert not together(cl, mother_c, daughter_a)
    assert not together(cl, mother_a, daughter_a)
