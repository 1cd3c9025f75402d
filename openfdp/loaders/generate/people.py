"""Synthetic people: test NHS numbers (999 range, valid Modulus 11), names, dates of birth,
postcodes, and the realistic noise each trust's copy of them carries."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

GIVEN_F = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Sophia",
    "Lily",
    "Emily",
    "Freya",
    "Ella",
    "Poppy",
    "Charlotte",
    "Evie",
    "Sienna",
    "Aisha",
    "Fatima",
    "Zara",
    "Priya",
    "Chloe",
    "Jessica",
    "Hannah",
    "Sarah",
    "Margaret",
    "Susan",
    "Patricia",
    "Linda",
    "Elizabeth",
]
GIVEN_M = [
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Harry",
    "Leo",
    "Jack",
    "Charlie",
    "Oscar",
    "Jacob",
    "Thomas",
    "William",
    "James",
    "Henry",
    "Mohammed",
    "Muhammad",
    "Ali",
    "Arjun",
    "Daniel",
    "David",
    "John",
    "Michael",
    "Peter",
    "Robert",
    "Stephen",
    "Paul",
    "Mark",
]
NICKNAMES = {
    "Elizabeth": "Liz",
    "Margaret": "Maggie",
    "William": "Bill",
    "Robert": "Bob",
    "Thomas": "Tom",
    "James": "Jim",
    "Michael": "Mike",
    "Daniel": "Dan",
    "Patricia": "Pat",
    "Susan": "Sue",
    "Charlotte": "Lottie",
    "Jessica": "Jess",
    "Stephen": "Steve",
}
FAMILY = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "Khan",
    "Ahmed",
    "Begum",
    "Hussain",
    "Shah",
    "Singh",
    "Kaur",
    "Nowak",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Campbell",
    "Stewart",
]
STREETS = [
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "Manor",
    "Queen",
    "King",
    "Oak",
    "Grove",
    "Chapel",
    "Bridge",
]
ROAD = ["Road", "Street", "Lane", "Avenue", "Close", "Way"]


def nhs_check_digit(nine: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else (None if check == 10 else check)


def test_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 range (never issued to a real patient)."""
    while True:
        nine = "999" + f"{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            return nine + str(check)


@dataclass(frozen=True)
class Person:
    person_id: str  # the truth, kept for the answer file only
    nhs_number: str | None
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    postcode: str
    address_line: str


def make_person(rng: random.Random, n: int, outwards: list[str], as_of: date) -> Person:
    sex = rng.choice("12")
    given = rng.choice(GIVEN_F if sex == "2" else GIVEN_M)
    age_days = int(rng.triangular(0, 95, 62) * 365.25)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randrange(10)}{rng.choice(letters)}{rng.choice(letters)}"
    return Person(
        person_id=f"P{n:07d}",
        nhs_number=test_nhs_number(rng),
        given_name=given,
        family_name=rng.choice(FAMILY),
        birth_date=as_of - timedelta(days=age_days),
        sex=sex,
        postcode=f"{rng.choice(outwards)} {inward}",
        address_line=f"{rng.randrange(1, 200)} {rng.choice(STREETS)} {rng.choice(ROAD)}",
    )


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # transposition
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # deletion
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # doubled letter


def trust_copy(rng: random.Random, p: Person) -> Person:
    """How one trust's PAS holds this person: mostly right, sometimes not."""
    q = p
    r = rng.random()
    if r < 0.08:
        q = replace(q, nhs_number=None)  # not traced
    elif r < 0.10 and q.nhs_number:  # keyed wrong: adjacent digits swapped
        d = q.nhs_number
        i = rng.randrange(3, 8)
        q = replace(q, nhs_number=d[:i] + d[i + 1] + d[i] + d[i + 2 :])
    if rng.random() < 0.04:
        q = replace(q, family_name=_typo(rng, q.family_name))
    if rng.random() < 0.03:
        q = replace(q, given_name=NICKNAMES.get(q.given_name, _typo(rng, q.given_name)))
    if rng.random() < 0.015 and q.birth_date.day <= 12:  # day and month swapped
        b = q.birth_date
        q = replace(q, birth_date=date(b.year, b.day, b.month))
    r = rng.random()
    if r < 0.08:
        q = replace(q, postcode=q.postcode.replace(" ", "").lower())
    elif r < 0.11:
        q = replace(q, postcode=q.postcode.split(" ")[0] + " " + "1AA")  # moved house
    return q
