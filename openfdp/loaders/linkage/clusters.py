"""Pure linkage decisions: pairs of records -> pairs of persons -> links, reviews, clusters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openfdp.loaders.linkage.config import Thresholds
from openfdp.loaders.linkage.engine import ScoredPair


class UnionFind:
    """Disjoint sets of pseudo_ids; a set's representative is its lowest pseudo_id.

    `exclusive` members (persons with a verified NHS number) are different people from each
    other by definition, so :meth:`can_union` refuses to put two of them in one set.
    """

    def __init__(self, exclusive: frozenset[str] = frozenset()) -> None:
        self._parent: dict[str, str] = {}
        self._exclusive = exclusive
        self._holds: dict[str, bool] = {}  # root -> the set holds an exclusive member

    def find(self, x: str) -> str:
        parent = self._parent.setdefault(x, x)
        if parent == x:
            return x
        root = self.find(parent)
        self._parent[x] = root
        return root

    def _holds_exclusive(self, root: str) -> bool:
        return self._holds.get(root, root in self._exclusive)

    def can_union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        return ra == rb or not (self._holds_exclusive(ra) and self._holds_exclusive(rb))

    def union(self, a: str, b: str) -> bool:
        """Join the sets of a and b; True if they were different sets (a merge)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        lo, hi = sorted((ra, rb))
        self._holds[lo] = self._holds_exclusive(ra) or self._holds_exclusive(rb)
        self._parent[hi] = lo
        return True

    def clusters(self) -> dict[str, str]:
        """Every member seen, mapped to its cluster id (the lowest pseudo_id of its set)."""
        return {x: self.find(x) for x in list(self._parent)}


def cluster_ids(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    return uf.clusters()


@dataclass(frozen=True, slots=True)
class PersonPair:
    """The strongest evidence that two persons are one (``a`` < ``b`` by pseudo_id)."""

    a: str
    b: str
    match_probability: float
    match_weight: float
    agreed: tuple[str, ...]


def person_pairs(pairs: Iterable[ScoredPair]) -> list[PersonPair]:
    """Collapse record pairs to person pairs, keeping the most probable record pair of each."""
    best: dict[tuple[str, str], ScoredPair] = {}
    for p in pairs:
        if p.left_person == p.right_person:
            continue
        key = (min(p.left_person, p.right_person), max(p.left_person, p.right_person))
        seen = best.get(key)
        if seen is None or (p.match_probability, p.match_weight) > (
            seen.match_probability,
            seen.match_weight,
        ):
            best[key] = p
    return [
        PersonPair(a, b, p.match_probability, p.match_weight, p.agreed)
        for (a, b), p in sorted(best.items())
    ]


@dataclass(frozen=True)
class Banded:
    links: list[PersonPair]
    reviews: list[PersonPair]


def band(pairs: Iterable[PersonPair], thresholds: Thresholds) -> Banded:
    """Split person pairs into automatic links and review candidates (the rest are dropped)."""
    links, reviews = [], []
    for p in pairs:
        verdict = thresholds.band(p.match_probability)
        if verdict == "match":
            links.append(p)
        elif verdict == "review":
            reviews.append(p)
    return Banded(links, reviews)
