"""Patient records as trusts' PAS hold them, with the corruption found in real data.

Each person is registered at one to three trusts. A record may carry: no NHS number (~15%),
an invalid one (~3%: adjacent digits transposed or one digit wrong), or a household member's
valid number (about 0.2%); a nickname, an appended middle name, a keyboard typo, a
maiden, married or hyphenated family name; a date of birth with day and month swapped, the
year one off or one digit wrong; an older or newer address (half of the moves within the
same district), street words abbreviated, a postcode without its space, mistyped or missing.
Trust styles differ: one writes names in upper case, one spaces its NHS numbers.

The true person of every record is kept (``true_person_id``), so the answers are exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from openfdp.loaders.generate.people import nhs_check_digit
from openfdp.loaders.generate.population import Names, Person, Population, new_address
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, nhs_number_is_valid, normalise_nhs_number

# nicknames people give a trust instead of their registered given name
NICKNAMES = {
    "William": "Bill",
    "Elizabeth": "Liz",
    "Robert": "Bob",
    "Margaret": "Maggie",
    "Thomas": "Tom",
    "James": "Jim",
    "Michael": "Mike",
    "Daniel": "Dan",
    "Susan": "Sue",
    "Stephen": "Steve",
    "Christopher": "Chris",
    "Jennifer": "Jenny",
    "Richard": "Dick",
    "Katherine": "Kate",
    "Catherine": "Cathy",
    "Anthony": "Tony",
    "Joseph": "Joe",
    "Samuel": "Sam",
    "Alexander": "Alex",
    "Rebecca": "Becky",
    "Victoria": "Vicky",
    "Edward": "Ted",
    "Patricia": "Pat",
    "Deborah": "Debbie",
    "Jacqueline": "Jackie",
    "Benjamin": "Ben",
    "Matthew": "Matt",
    "Nicholas": "Nick",
    "Andrew": "Andy",
    "Peter": "Pete",
}
_ABBREVIATIONS = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl"}
_KEYS = "qwertyuiopasdfghjklzxcvbnm"


@dataclass(frozen=True)
class Record:
    provider_ods: str
    local_patient_id: str
    nhs_number: str | None
    given_name: str | None
    family_name: str | None
    birth_date: str | None  # ISO, as the extract has it (possibly a mistyped date)
    sex: str | None
    postcode: str | None
    address_line: str | None
    true_person_id: str


def typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: transposition, deletion, doubled or substituted letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_KEYS) + word[i + 1 :]


def invalid_nhs_number(rng: random.Random, number: str) -> str:
    """The number keyed wrong so that its Modulus 11 check fails."""
    for _ in range(50):
        i = rng.randrange(0, 9)
        if rng.random() < 0.5 and number[i] != number[i + 1]:
            wrong = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        else:
            wrong = number[:i] + str((int(number[i]) + rng.randrange(1, 10)) % 10) + number[i + 1 :]
        if nhs_check_digit(wrong[:9]) != int(wrong[9]):
            return wrong
    return number[:9] + str((int(number[9]) + 1) % 10)


def _birth_date(rng: random.Random, born: date) -> str | None:
    r = rng.random()
    y, m, d = born.year, born.month, born.day
    if r < 0.005:
        return None
    if r < 0.015 and d <= 12 and d != m:
        m, d = d, m  # day and month swapped
    elif r < 0.025:
        y += rng.choice((-1, 1))
    elif r < 0.035:  # one wrong digit (the date may no longer exist; extracts keep it)
        text = list(f"{y:04d}{m:02d}{d:02d}")
        i = rng.randrange(2, 8)
        text[i] = str((int(text[i]) + rng.randrange(1, 10)) % 10)
        s = "".join(text)
        return f"{s[:4]}-{s[4:6]}-{s[6:]}"
    if m == 2 and d == 29 and y % 4:
        d = 28
    return f"{y:04d}-{m:02d}-{d:02d}"


def _given(rng: random.Random, p: Person) -> str:
    r = rng.random()
    if r < 0.05 and p.given_name in NICKNAMES:
        return NICKNAMES[p.given_name]
    if r < 0.08:
        return typo(rng, p.given_name)
    if r < 0.13 and p.middle_name:
        return f"{p.given_name} {p.middle_name}"
    return p.given_name


def _family(rng: random.Random, p: Person) -> str:
    name = p.family_name
    if p.birth_family_name != p.family_name:
        r = rng.random()
        if r < 0.15:
            name = p.birth_family_name  # registered before the marriage
        elif r < 0.20:
            name = f"{p.birth_family_name}-{p.family_name}"
    return typo(rng, name) if rng.random() < 0.03 else name


class _Copier:
    def __init__(self, rng: random.Random, pop: Population, names: Names) -> None:
        self.rng, self.pop, self.names = rng, pop, names

    def nhs_number(self, p: Person, style: int) -> str | None:
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return None
        if r < 0.18:
            number = invalid_nhs_number(rng, p.nhs_number)
        elif r < 0.1825 and len(self.pop.household_of(p)) > 1:
            number = rng.choice([m for m in self.pop.household_of(p) if m is not p]).nhs_number
        else:
            number = p.nhs_number
        return f"{number[:3]} {number[3:6]} {number[6:]}" if style == 1 else number

    def address(self, p: Person, style: int) -> tuple[str | None, str | None]:
        rng = self.rng
        addr = p.address
        if rng.random() < 0.10:  # moved: an older or newer address, half in the district
            near = addr.district if rng.random() < 0.5 else None
            addr = new_address(rng, self.names, self.pop.units, near)
        line: str | None = addr.line
        postcode: str | None = addr.postcode
        if style == 2 or rng.random() < 0.1:
            for word, short in _ABBREVIATIONS.items():
                line = line.replace(f" {word}", f" {short}") if line else line
        if rng.random() < 0.03:
            line = typo(rng, line) if line else line
        r = rng.random()
        if r < 0.02:
            line = None
        r = rng.random()
        if r < 0.02:
            postcode = None
        elif r < 0.03 and postcode:
            i = rng.choice([i for i, c in enumerate(postcode) if c.isalnum()][-3:])
            c = postcode[i]
            repl = rng.choice("0123456789") if c.isdigit() else rng.choice("ABDEHJLNPRSTUW")
            postcode = postcode[:i] + repl + postcode[i + 1 :]
        elif r < 0.15 + (0.3 if style == 2 else 0.0) and postcode:
            postcode = postcode.replace(" ", "")
        return line, postcode

    def record(self, p: Person, trust: str, style: int, local_id: str) -> Record:
        rng = self.rng
        given, family = _given(rng, p), _family(rng, p)
        if style == 1:
            given, family = given.upper(), family.upper()
        line, postcode = self.address(p, style)
        return Record(
            provider_ods=trust,
            local_patient_id=local_id,
            nhs_number=self.nhs_number(p, style),
            given_name=given,
            family_name=family,
            birth_date=_birth_date(rng, p.birth_date),
            sex=None if rng.random() < 0.01 else p.sex,
            postcode=postcode,
            address_line=line,
            true_person_id=p.person_id,
        )


def trust_records(pop: Population, trusts: list[str], seed: int) -> list[Record]:
    """Each person's records at one to three trusts (about 1.7 per person on average)."""
    rng = random.Random(seed + 1)  # noqa: S311 - synthetic data, not security
    copier = _Copier(rng, pop, Names(seed + 2))
    out: list[Record] = []
    counters = dict.fromkeys(trusts, 0)
    for p in pop.people:
        k = rng.choices((1, 2, 3), weights=(45, 40, 15))[0]
        for style, trust in sorted(
            rng.sample(list(enumerate(trusts)), min(k, len(trusts))), key=lambda x: x[1]
        ):
            counters[trust] += 1
            local = f"{trust[-2:]}{counters[trust]:07d}"
            out.append(copier.record(p, trust, style, local))
    return out


def record_evidence(r: Record, ps: Pseudonymiser) -> IdentityEvidence:
    """The identity evidence of a generated record, keyed as the trust CSV mapper keys it
    (a verified NHS number when its check digit holds, else the trust's local id)."""
    raw = normalise_nhs_number(r.nhs_number)
    nhs = raw if raw and nhs_number_is_valid(raw) else None
    pid = ps.person_id(
        nhs_number=nhs, provider_ods=r.provider_ods, local_patient_id=r.local_patient_id
    )
    return IdentityEvidence(
        person_ref=ps.person_key(pid),
        provider_ods=r.provider_ods,
        local_patient_id=r.local_patient_id,
        nhs_number=nhs,
        unverified_nhs_number=None if nhs else r.nhs_number,
        given_name=r.given_name,
        family_name=r.family_name,
        birth_date=r.birth_date,
        sex_code=r.sex,
        postcode=r.postcode,
        address_line=r.address_line,
    )
