"""Label-free operating point: thresholds from the model's own match probabilities.

Splink's match probability combines the trained m and u values with a prior estimated
from the data (deterministic rules and their expected recall). Taken at its word, the mean
probability of a set of pairs is the expected share of true matches in it, and the sum of
the probabilities of all scored pairs is the expected number of true matches. So:

* the **auto-link threshold** is the lowest probability at which the pairs at or above it
  still have an expected precision of ``target_precision`` (never below the model file's
  least ``match`` threshold);
* the **review band** reaches down to the probability above which lies ``target_recall``
  of the expected matches (never below the least ``review`` threshold).

No label is used; review decisions later measure how well the expectation held
(``openfdp link status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from openfdp.loaders.linkage.config import Decision, Thresholds


@dataclass(frozen=True)
class OperatingPoint:
    match: float  # auto-link threshold chosen for this data
    review: float  # lower end of the review band
    expected_matches: float  # sum of the probabilities of every scored person pair
    expected_precision: float  # of the links made (mean probability), after the cluster rule
    expected_recall: float  # of the links made, as a share of the expected matches
    expected_recall_with_review: float  # links + review band
    links: int = 0
    reviews: int = 0

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(match=self.match, review=self.review)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def choose_thresholds(probs: Sequence[float], least: Thresholds, decision: Decision) -> Thresholds:
    """The auto-link threshold and the review band's lower end for these probabilities."""
    ps = sorted(probs, reverse=True)
    total = sum(ps)
    if not ps or total <= 0:
        return least
    match, review = ps[0], ps[0]
    running = 0.0
    recall_reached = False
    for i, p in enumerate(ps):
        running += p
        if i + 1 < len(ps) and ps[i + 1] == p:
            continue  # a threshold takes every pair of equal probability, so cut after ties
        if running / (i + 1) >= decision.target_precision:
            match = p
        if not recall_reached:
            review = p
            recall_reached = running >= decision.target_recall * total
    match = max(match, least.match)
    review = min(max(review, least.review), match)
    return Thresholds(match=match, review=review)


def expected(
    probs: Sequence[float],
    linked: Sequence[float],
    reviewed: Sequence[float],
    thresholds: Thresholds,
) -> OperatingPoint:
    """What the model expects of the decisions taken (links and review tasks made)."""
    total = sum(probs)
    got = sum(linked)
    return OperatingPoint(
        match=thresholds.match,
        review=thresholds.review,
        expected_matches=total,
        expected_precision=got / len(linked) if linked else 1.0,
        expected_recall=got / total if total else 0.0,
        expected_recall_with_review=(got + sum(reviewed)) / total if total else 0.0,
        links=len(linked),
        reviews=len(reviewed),
    )


def measured_precision(
    expected_precision: float, decided: float, accepted: float, expected_accepted: float
) -> float | None:
    """The auto-links' precision corrected by review labels, or None without labels.

    Reviewers' decisions are labels for the review band: the model expected
    ``decided - expected_accepted`` of the decided pairs to be different people, reviewers
    found ``decided - accepted``. The auto-links' expected error rate is scaled by that
    observed/expected ratio (a model that is over-confident in the band is assumed to be
    over-confident above it by the same factor).
    """
    if decided <= 0:
        return None
    expected_wrong = decided - expected_accepted
    found_wrong = decided - accepted
    if expected_wrong <= 0:
        return expected_precision if found_wrong == 0 else None
    ratio = found_wrong / expected_wrong
    return max(0.0, 1.0 - (1.0 - expected_precision) * ratio)
