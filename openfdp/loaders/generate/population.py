"""A synthetic population living in households, for realistic linkage data.

People live in households of 1-5 sharing a family name, an address and a postcode unit;
several households share each postcode unit (neighbours). Households hold couples
(wives often carry a married name, keeping a maiden name), children (twins now and then,
sons named after their father), and adult daughters living with their parents, some of
them married. Names come from Faker's ``en_GB`` locale, whose family names are weighted
by frequency, so Smith, Jones and Taylor are carried by many unrelated people.

:mod:`openfdp.loaders.generate.records` turns each person into the patient records trusts hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from faker import Faker

from openfdp.loaders.generate.people import test_nhs_number

# UK household sizes, roughly (ONS): one person 29%, two 35%, three 16%, four 14%, five 6%
SIZE_WEIGHTS = (29, 35, 16, 14, 6)
COMMON_GIVEN_M = ("John", "David", "James", "Michael", "Paul", "Mohammed")
COMMON_GIVEN_F = ("Sarah", "Emma", "Elizabeth", "Margaret", "Susan", "Fatima")


@dataclass(frozen=True)
class Address:
    line: str  # e.g. "14 Church Road"
    postcode: str  # e.g. "LS16 5AB"

    @property
    def district(self) -> str:
        return self.postcode.split(" ")[0]


@dataclass(frozen=True)
class Person:
    person_id: str  # the truth
    household: int
    nhs_number: str
    given_name: str
    middle_name: str | None
    family_name: str  # the name in use now
    birth_family_name: str  # differs after a marriage
    birth_date: date
    sex: str  # "1" male, "2" female (NHS person stated gender codes)
    address: Address
    role: str  # adult, partner, child, twin, junior, adult_daughter, married_daughter


@dataclass
class Population:
    people: list[Person] = field(default_factory=list)
    households: dict[int, list[Person]] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)  # postcode units in use

    def household_of(self, p: Person) -> list[Person]:
        return self.households[p.household]


class Names:
    """Faker en_GB names with a few very common ones carried more often."""

    def __init__(self, seed: int) -> None:
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security

    def given(self, sex: str) -> str:
        common = COMMON_GIVEN_F if sex == "2" else COMMON_GIVEN_M
        if self.rng.random() < 0.12:
            return self.rng.choice(common)
        return str(self.fake.first_name_female() if sex == "2" else self.fake.first_name_male())

    def family(self) -> str:
        return str(self.fake.last_name())

    def street(self) -> str:
        return f"{self.rng.randrange(1, 180)} {self.fake.street_name()}"


def _units(rng: random.Random, fake: Faker, households: int) -> list[str]:
    """Postcode units, about eight households each, in a few dozen districts."""
    districts = sorted({str(fake.postcode()).split(" ")[0] for _ in range(40)})
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    units: set[str] = set()
    while len(units) < max(1, households // 8):
        d = rng.choice(districts)
        units.add(f"{d} {rng.randrange(10)}{rng.choice(letters)}{rng.choice(letters)}")
    return sorted(units)


def new_address(rng: random.Random, names: Names, units: list[str], near: str | None) -> Address:
    """An address in a random unit, or in the district of `near` when it is given."""
    pool = [u for u in units if near and u.split(" ")[0] == near] or units
    return Address(names.street(), rng.choice(pool))


def _birth(rng: random.Random, as_of: date, low: float, high: float) -> date:
    return as_of - timedelta(days=int(rng.uniform(low, high) * 365.25))


def generate_population(people: int, seed: int, as_of: date) -> Population:
    """At least `people` people in households; the same seed gives the same population."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    names = Names(seed)
    units = _units(rng, names.fake, people // 2)
    pop = Population(units=units)
    numbers: set[str] = set()

    def nhs() -> str:
        while (n := test_nhs_number(rng)) in numbers:
            pass
        numbers.add(n)
        return n

    h = 0
    while len(pop.people) < people:
        members = _household(rng, names, as_of, new_address(rng, names, units, None))
        out: list[Person] = []
        for m in members:
            pid = f"P{len(pop.people) + len(out):07d}"
            out.append(Person(person_id=pid, household=h, nhs_number=nhs(), **m))
        pop.households[h] = out
        pop.people.extend(out)
        h += 1
    return pop


def _household(
    rng: random.Random, names: Names, as_of: date, addr: Address
) -> list[dict[str, Any]]:
    size = rng.choices(range(1, 6), weights=SIZE_WEIGHTS)[0]
    family = names.family()

    def person(
        sex: str, born: date, role: str, given: str | None = None, **kw: object
    ) -> dict[str, Any]:
        middle = names.given(sex) if rng.random() < 0.3 else None
        return {
            "given_name": given or names.given(sex),
            "middle_name": middle,
            "family_name": kw.get("family_name", family),
            "birth_family_name": kw.get("birth_family_name", family),
            "birth_date": born,
            "sex": sex,
            "address": addr,
            "role": role,
        }

    if size == 1:
        return [person(rng.choice("12"), _birth(rng, as_of, 18, 95), "adult")]
    he_born = _birth(rng, as_of, 22, 90)
    she_born = he_born + timedelta(days=int(rng.gauss(700, 1200)))
    father = person("1", he_born, "adult")
    maiden = names.family()
    married = rng.random() < 0.75  # she took his name; otherwise she keeps her own
    mother = person(
        "2",
        min(she_born, as_of - timedelta(days=18 * 366)),
        "partner",
        family_name=family if married else maiden,
        birth_family_name=maiden,
    )
    members = [father, mother] if size >= 3 or rng.random() < 0.7 else [father]
    youngest = max(he_born, she_born) + timedelta(days=18 * 366)
    while len(members) < size:
        low = max(0.0, (as_of - youngest).days / 365.25 - 25)
        high = max(low + 1, (as_of - youngest).days / 365.25)
        born = _birth(rng, as_of, low, high)
        sex = rng.choice("12")
        r = rng.random()
        if r < 0.06 and len(members) + 2 <= size:  # twins: same birthday, different names
            members.append(person(sex, born, "twin"))
            members.append(person(rng.choice("12"), born, "twin"))
            continue
        if r < 0.14 and sex == "1":  # named after his father
            members.append(person("1", born, "junior", given=str(father["given_name"])))
            continue
        if r < 0.30 and sex == "2" and (as_of - born).days > 20 * 365:
            if rng.random() < 0.5:  # married, living with her parents, her husband's name
                members.append(
                    person(
                        "2",
                        born,
                        "married_daughter",
                        family_name=names.family(),
                        birth_family_name=family,
                    )
                )
                continue
            members.append(person("2", born, "adult_daughter"))
            continue
        members.append(person(sex, born, "child"))
    return members
