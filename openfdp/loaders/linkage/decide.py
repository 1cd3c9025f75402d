"""Pair and cluster decisions: which person pairs are linked, reviewed, or kept apart.

A pair of persons is **auto-linked** only when

1. its best record pair reaches the calibrated match threshold (:mod:`calibrate`),
2. the identity comparisons (given name, date of birth, an agreeing NHS number) on
   their own add up to at least ``identity_min_weight``: agreement on family name,
   address and postcode is what a household shares, so it never links two people alone,
3. no conflict pattern holds: different sexes; twin-like (same sex and date of birth,
   different given names); parent-and-child-like (same sex, dates of birth that disagree
   in every part), the last two unless the (unverified) NHS numbers agree.

Clusters then grow by the **cluster rule** (complete linkage): two clusters are joined only
if every record pair across them was scored at or above ``cluster_floor`` with no conflict,
and they do not both hold a verified NHS number. A chain A~B~C where A and C disagree is
therefore never one cluster, whatever the order. Held-back pairs become review tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from openfdp.loaders.linkage.clusters import PersonPair, UnionFind
from openfdp.loaders.linkage.config import LinkageModel, Thresholds
from openfdp.loaders.linkage.engine import ScoredPair

Key = tuple[str, str]
_Levels = tuple[tuple[int, frozenset[int]], ...]


def _key(a: str, b: str) -> Key:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Rules:
    """The model's decision block resolved to comparison positions and gamma values."""

    floor: float
    identity: tuple[int, ...]
    supporting: tuple[int, ...]
    identity_min_weight: float
    # (name, levels that must all hold, levels any of which lifts the conflict)
    conflicts: tuple[tuple[str, _Levels, _Levels], ...]

    @classmethod
    def of(cls, model: LinkageModel) -> Rules:
        names = model.comparison_names
        d = model.decision

        def resolve(levels: dict[str, tuple[str, ...]]) -> _Levels:
            return tuple(
                (names.index(comp), frozenset(model.gamma_of(comp, lv) for lv in labels))
                for comp, labels in levels.items()
            )

        conflicts = tuple((c.name, resolve(c.levels), resolve(c.unless)) for c in d.conflicts)
        return cls(
            floor=d.cluster_floor,
            identity=tuple(names.index(n) for n in d.identity_comparisons),
            supporting=tuple(names.index(n) for n in d.identity_supporting),
            identity_min_weight=d.identity_min_weight,
            conflicts=conflicts,
        )

    def conflict(self, p: ScoredPair) -> str | None:
        """The name of the first conflict pattern the pair matches, else None."""
        if not p.gammas:
            return None
        for name, parts, unless in self.conflicts:
            if all(p.gammas[i] in g for i, g in parts) and not any(
                p.gammas[i] in g for i, g in unless
            ):
                return name
        return None

    def identity_weight(self, p: ScoredPair) -> float:
        if not p.weights:
            return p.match_weight
        own = sum(p.weights[i] for i in self.identity)
        return own + sum(max(p.weights[i], 0.0) for i in self.supporting)

    def linkable(self, p: ScoredPair, thresholds: Thresholds) -> str | None:
        """None if the pair may be auto-linked, else why not."""
        if p.match_probability < thresholds.match:
            return "below the match threshold"
        if self.identity_weight(p) < self.identity_min_weight:
            return "household evidence only (given name and date of birth do not agree)"
        return self.conflict(p)


@dataclass
class Decisions:
    links: list[PersonPair] = field(default_factory=list)
    reviews: list[PersonPair] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)  # reason -> candidate pairs held back
    clusters: dict[str, str] = field(default_factory=dict)  # person -> cluster id
    link_probabilities: list[float] = field(default_factory=list)
    review_probabilities: list[float] = field(default_factory=list)


def best_pairs(pairs: Iterable[ScoredPair]) -> dict[Key, ScoredPair]:
    """The most probable record pair of each pair of (different) persons."""
    best: dict[Key, ScoredPair] = {}
    for p in pairs:
        if p.left_person == p.right_person:
            continue
        k = _key(p.left_person, p.right_person)
        seen = best.get(k)
        if seen is None or (p.match_probability, p.match_weight) > (
            seen.match_probability,
            seen.match_weight,
        ):
            best[k] = p
    return best


def _person_pair(k: Key, p: ScoredPair) -> PersonPair:
    return PersonPair(k[0], k[1], p.match_probability, p.match_weight, p.agreed)


def decide(
    pairs: list[ScoredPair],
    model: LinkageModel,
    thresholds: Thresholds,
    *,
    records_of: Mapping[str, Iterable[str]],
    verified: frozenset[str] = frozenset(),
    existing: Iterable[Key] = (),
    rejected: frozenset[Key] = frozenset(),
) -> Decisions:
    """Links, review tasks and clusters for scored record pairs (pure)."""
    rules = Rules.of(model)
    by_records = {_key(p.left_record, p.right_record): p for p in pairs}
    best = best_pairs(pairs)
    uf = UnionFind(verified)
    records: dict[str, set[str]] = {}
    for person, recs in records_of.items():
        records[person] = set(recs)
    for a, b in existing:
        _join(uf, records, a, b)
    out = Decisions()
    candidates: list[tuple[Key, ScoredPair]] = []
    for k, p in best.items():
        why = rules.linkable(p, thresholds)
        if why is None:
            candidates.append((k, p))
        elif p.match_probability >= thresholds.review:
            out.reviews.append(_person_pair(k, p))
            out.review_probabilities.append(p.match_probability)
            if p.match_probability >= thresholds.match:
                out.held[why] = out.held.get(why, 0) + 1
    candidates.sort(key=lambda kp: (-kp[1].match_probability, -kp[1].match_weight, kp[0]))
    for k, p in candidates:
        if uf.find(k[0]) == uf.find(k[1]) or k in rejected:
            continue
        why = _cluster_conflict(uf, records, by_records, rules, k)
        if why is not None:
            out.held[why] = out.held.get(why, 0) + 1
            out.reviews.append(_person_pair(k, p))
            out.review_probabilities.append(p.match_probability)
            continue
        _join(uf, records, *k)
        out.links.append(_person_pair(k, p))
        out.link_probabilities.append(p.match_probability)
    out.clusters = uf.clusters()
    for person in records:
        out.clusters.setdefault(person, person)
    return out


def _join(uf: UnionFind, records: dict[str, set[str]], a: str, b: str) -> None:
    ra, rb = uf.find(a), uf.find(b)
    if ra == rb:
        return
    merged = records.pop(ra, set()) | records.pop(rb, set())
    uf.union(a, b)
    records[uf.find(a)] = merged


def _cluster_conflict(
    uf: UnionFind,
    records: dict[str, set[str]],
    by_records: Mapping[Key, ScoredPair],
    rules: Rules,
    k: Key,
) -> str | None:
    """Why joining the clusters of k's two persons would break the cluster rule, or None."""
    if not uf.can_union(*k):
        return "two different verified NHS numbers in one cluster"
    left, right = records.get(uf.find(k[0]), set()), records.get(uf.find(k[1]), set())
    for r in left:
        for s in right:
            p = by_records.get(_key(r, s))
            if p is None or p.match_probability < rules.floor:
                return "a record pair in the cluster below the floor"
            if rules.conflict(p):
                return f"conflict in the cluster: {rules.conflict(p)}"
    return None
