"""Privacy-preserving encodings of normalised quasi-identifiers (pure).

What linkage keeps between runs is only what this module returns, never a raw value:

* **keyed tokens** — HMAC-SHA256 (the pseudonymisation key) of a normalised value or of a
  part of it (date parts, postcode sector), truncated to 64 bits. Equal tokens mean equal
  values; without the key a token cannot be tested against a guess.
* **phonetic tokens** — the same keyed token over a NYSIIS code, so ``KATHRYN`` and
  ``CATHERINE`` agree without either being kept.
* **Bloom-filter encodings** (cryptographic long-term keys, Schnell et al. 2009): the padded
  bigrams of a value hashed into a 512-bit filter with keyed double hashing. The Dice
  coefficient of two filters approximates the bigram similarity of the two values, which
  gives fuzzy comparison (typos, transpositions) without the values.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jellyfish

from openfdp.loaders.linkage import normalise
from openfdp.loaders.linkage.nicknames import canonical_first_name
from openfdp.loaders.model import IdentityEvidence

BLOOM_BITS = 512
BLOOM_HASHES = 10

# The encoded columns, in storage order, with their DuckDB types.
TOKEN_COLUMNS = (
    "gn_tok",  # given name
    "gn_ph",  # given name, phonetic
    "fn_tok",  # family name
    "fn_ph",  # family name, phonetic
    "dob_tok",  # full date of birth
    "dob_swap_tok",  # date of birth with day and month swapped
    "dob_ym_tok",  # year and month
    "dob_yd_tok",  # year and day
    "dob_md_tok",  # month and day
    "dob_y_tok",  # year
    "sex_tok",
    "pc_tok",  # full postcode
    "pc_sector_tok",
    "pc_district_tok",
    "id_tok",  # NHS number digits, verified or not
    "addr_tok",  # first address line
    "gn_canon_tok",  # first given name in its registered form (nicknames, middle names)
)
BLOOM_COLUMNS = ("gn_bf", "fn_bf", "pc_bf", "id_bf", "addr_bf")
COUNT_COLUMNS = tuple(f"{c}_n" for c in BLOOM_COLUMNS)


@dataclass(frozen=True)
class Encoder:
    """Keyed encodings for one pseudonymisation domain (the key never leaves this object)."""

    key: bytes
    domain: str

    def __repr__(self) -> str:
        return f"Encoder(domain={self.domain!r})"

    def token(self, kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        return _token(self.key, self.domain, kind, value)

    def bloom(self, kind: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        return _bloom(self.key, self.domain, kind, value)

    def encode(self, ev: IdentityEvidence) -> dict[str, Any]:
        """The encoded columns of one piece of evidence (None where the value is missing)."""
        given = normalise.name(ev.given_name)
        family = normalise.name(ev.family_name)
        dob = normalise.birth_date(ev.birth_date)
        pc = normalise.postcode(ev.postcode)
        ident = normalise.identifier(ev.nhs_number or ev.unverified_nhs_number)
        addr = normalise.address_line(ev.address_line)
        t = self.token
        row: dict[str, Any] = {
            "gn_tok": t("gn", given),
            "gn_ph": t("ph", _phonetic(given)),
            "fn_tok": t("fn", family),
            "fn_ph": t("ph", _phonetic(family)),
            "dob_tok": t("dob", dob.iso if dob else None),
            "dob_swap_tok": t("dob", f"{dob.year}-{dob.day}-{dob.month}" if dob else None),
            "dob_ym_tok": t("dob_ym", f"{dob.year}-{dob.month}" if dob else None),
            "dob_yd_tok": t("dob_yd", f"{dob.year}-{dob.day}" if dob else None),
            "dob_md_tok": t("dob_md", f"{dob.month}-{dob.day}" if dob else None),
            "dob_y_tok": t("dob_y", dob.year if dob else None),
            "sex_tok": t("sex", normalise.sex(ev.sex_code)),
            "pc_tok": t("pc", pc.full if pc else None),
            "pc_sector_tok": t("pc_sector", pc.sector if pc else None),
            "pc_district_tok": t("pc_district", pc.district if pc else None),
            "id_tok": t("id", ident),
            "addr_tok": t("addr", addr),
            "gn_canon_tok": t("gn", canonical_first_name(normalise.name_words(ev.given_name))),
            # given and family names share one filter key so swapped names still compare
            "gn_bf": self.bloom("name", given),
            "fn_bf": self.bloom("name", family),
            "pc_bf": self.bloom("pc", pc.full if pc else None),
            "id_bf": self.bloom("id", ident),
            "addr_bf": self.bloom("addr", addr),
        }
        for col in BLOOM_COLUMNS:
            value = row[col]
            row[f"{col}_n"] = None if value is None else int.from_bytes(value, "big").bit_count()
        return row


def clear_caches() -> None:
    """Forget the memoised encodings (they hold normalised values in memory)."""
    _token.cache_clear()
    _bloom.cache_clear()
    _bigram_mask.cache_clear()
    _phonetic.cache_clear()


def has_quasi_identifiers(row: dict[str, Any]) -> bool:
    """Whether an encoded row carries anything to compare (else it can only stay on its own)."""
    return any(row.get(c) is not None for c in TOKEN_COLUMNS)


def dice(a: bytes, b: bytes) -> float:
    """Dice coefficient of two Bloom filters (the same formula the comparisons use in SQL)."""
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = x.bit_count() + y.bit_count()
    return 0.0 if total == 0 else 2 * (x & y).bit_count() / total


@lru_cache(maxsize=200_000)
def _token(key: bytes, domain: str, kind: str, value: str) -> str:
    return hmac.digest(key, f"{domain}|link:{kind}:{value}".encode(), "sha256")[:8].hex()


@lru_cache(maxsize=100_000)
def _bloom(key: bytes, domain: str, kind: str, value: str) -> bytes:
    bits = 0
    for gram in normalise.bigrams(value):
        bits |= _bigram_mask(key, domain, kind, gram)
    return bits.to_bytes(BLOOM_BITS // 8, "big")


@lru_cache(maxsize=50_000)
def _bigram_mask(key: bytes, domain: str, kind: str, gram: str) -> int:
    digest = hmac.digest(key, f"{domain}|clk:{kind}:{gram}".encode(), "sha256")
    h1 = int.from_bytes(digest[:8], "big")
    h2 = int.from_bytes(digest[8:16], "big") | 1
    mask = 0
    for i in range(BLOOM_HASHES):
        mask |= 1 << ((h1 + i * h2) % BLOOM_BITS)
    return mask


@lru_cache(maxsize=100_000)
def _phonetic(value: str | None) -> str | None:
    return jellyfish.nysiis(value) if value else None
