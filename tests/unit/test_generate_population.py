"""The realistic linkage generator: households, relatives, corruption rates, exact answers."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from openfdp.loaders.generate.population import Population, generate_population
from openfdp.loaders.generate.records import Record, trust_records
from openfdp.loaders.privacy import nhs_number_is_valid, normalise_nhs_number

pytestmark = pytest.mark.unit
AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def data() -> tuple[Population, list[Record]]:
    pop = generate_population(3000, seed=21, as_of=AS_OF)
    return pop, trust_records(pop, ["RA1", "RB2", "RC3"], seed=21)


def test_same_seed_same_population_and_records() -> None:
    one = generate_population(300, seed=5, as_of=AS_OF)
    two = generate_population(300, seed=5, as_of=AS_OF)
    assert one.people == two.people
    assert trust_records(one, ["RA1", "RB2"], 5) == trust_records(two, ["RA1", "RB2"], 5)


def test_households_share_an_address_and_hold_relatives(
    data: tuple[Population, list[Record]],
) -> None:
    pop, _ = data
    assert len(pop.people) >= 3000
    sizes = Counter(len(m) for m in pop.households.values())
    assert set(sizes) <= {1, 2, 3, 4, 5} and sizes[1] and sizes[5]
    for members in pop.households.values():
        assert len({m.address for m in members}) == 1
    roles = Counter(p.role for p in pop.people)
    assert roles["twin"] and roles["junior"] and roles["married_daughter"]
    for members in pop.households.values():
        twins = [m for m in members if m.role == "twin"]
        if twins:
            assert len({t.birth_date for t in twins}) == 1
        father = members[0]
        for junior in (m for m in members if m.role == "junior"):
            assert junior.given_name == father.given_name and junior.birth_date != father.birth_date
    # NHS numbers: valid (Modulus 11), one per person
    numbers = [p.nhs_number for p in pop.people]
    assert len(set(numbers)) == len(numbers) and all(nhs_number_is_valid(n) for n in numbers)
    # postcode units are shared by neighbours
    per_unit = Counter(m[0].address.postcode for m in pop.households.values())
    assert max(per_unit.values()) > 1


def test_records_carry_the_documented_corruption_and_exact_answers(
    data: tuple[Population, list[Record]],
) -> None:
    pop, recs = data
    people = {p.person_id: p for p in pop.people}
    assert 1.5 < len(recs) / len(people) < 1.9
    assert all(r.true_person_id in people for r in recs)
    missing = sum(r.nhs_number is None for r in recs) / len(recs)
    assert 0.12 < missing < 0.18
    invalid = [
        r
        for r in recs
        if r.nhs_number and not nhs_number_is_valid(normalise_nhs_number(r.nhs_number))
    ]
    assert 0.015 < len(invalid) / len(recs) < 0.045
    others = [
        r
        for r in recs
        if r.nhs_number
        and nhs_number_is_valid(normalise_nhs_number(r.nhs_number))
        and normalise_nhs_number(r.nhs_number) != people[r.true_person_id].nhs_number
    ]
    # a household member's number: valid, someone else's, from the same household
    assert 0 < len(others) / len(recs) < 0.01
    for r in others:
        owner = next(p for p in pop.people if p.nhs_number == normalise_nhs_number(r.nhs_number))
        assert owner.household == people[r.true_person_id].household
    assert any(r.given_name and r.given_name.isupper() for r in recs if r.provider_ods == "RB2")
    assert any(r.nhs_number and " " in r.nhs_number for r in recs)
    married = [
        r
        for r in recs
        if people[r.true_person_id].birth_family_name != people[r.true_person_id].family_name
    ]
    names = {r.family_name for r in married if r.family_name}
    assert any("-" in n for n in names)  # hyphenated maiden-married names occur
