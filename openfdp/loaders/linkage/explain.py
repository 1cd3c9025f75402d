"""Why two persons are, or are not, one: the comparison levels and weights of their pair.

The explanation starts from the prior (the log-odds that two random records match,
estimated from the data), adds each comparison's weight (log2 of m/u at the level the pair
reached) and the term-frequency adjustments, and ends at the pair's match weight and
probability, then applies the decision rule. It names levels and weights only, never a
value, and works from the evidence store's encodings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openfdp.loaders.linkage import engine
from openfdp.loaders.linkage.config import LinkageModel, Thresholds
from openfdp.loaders.linkage.decide import Rules
from openfdp.loaders.linkage.store import EvidenceStore
from openfdp.store.linkage import LinkageError


@dataclass(frozen=True)
class Step:
    comparison: str
    level: str
    weight: float


@dataclass(frozen=True)
class PairExplanation:
    a: str
    b: str
    prior_weight: float
    steps: tuple[Step, ...]
    tf_weight: float  # term-frequency adjustments (rare values weigh more)
    match_weight: float
    match_probability: float
    verdict: str  # auto-link, review or no link, with the reason
    record_pairs: int

    @property
    def bars(self) -> list[tuple[str, float]]:
        """Waterfall bars in order: prior, comparisons, term frequencies."""
        out = [("prior", self.prior_weight)]
        out += [(f"{s.comparison}: {s.level}", s.weight) for s in self.steps]
        out.append(("term-frequency adjustments", self.tf_weight))
        return out


def level_label(model: LinkageModel, comparison: str, gamma: int) -> str:
    if gamma < 0:
        return "null"
    for c in model.splink["comparisons"]:
        if c["output_column_name"] == comparison:
            levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            return str(levels[len(levels) - 1 - gamma].get("label_for_charts"))
    raise KeyError(comparison)


def explain_pair(
    store: EvidenceStore,
    model: LinkageModel,
    domain: str,
    a: str,
    b: str,
    *,
    thresholds: Thresholds | None = None,
) -> PairExplanation:
    """The strongest record pair of persons a and b, broken down (LinkageError if none)."""
    trained = store.trained(model.model_version)
    if trained is None:
        raise LinkageError(
            f"model {model.model_version} is not trained yet: run `openfdp link run`"
        )
    if set(store.frame_of(domain, [a, b])["person_id"]) != {a, b}:
        raise LinkageError("both persons need evidence in the evidence store to explain a pair")
    frame = store.frame(domain, store.high_water())
    pairs = engine.compare_persons(frame, model, trained, [a, b])
    if not pairs:
        raise LinkageError("no record pair to compare")
    best = max(pairs, key=lambda p: (p.match_probability, p.match_weight))
    lam = float(trained["probability_two_random_records_match"])
    prior = math.log2(lam / (1 - lam))
    names = model.comparison_names
    steps = tuple(
        Step(n, level_label(model, n, g), w)
        for n, g, w in zip(names, best.gammas, best.weights, strict=True)
    )
    tf = best.match_weight - prior - sum(s.weight for s in steps)
    th = thresholds or model.thresholds
    why = Rules.of(model).linkable(best, th)
    if why is None:
        verdict = f"auto-link (p >= {th.match:.3f}, no conflict)"
    elif best.match_probability >= th.review:
        verdict = f"review ({why})"
    else:
        verdict = f"no link (p < {th.review:.3f})"
    return PairExplanation(
        a=a,
        b=b,
        prior_weight=prior,
        steps=steps,
        tf_weight=0.0 if abs(tf) < 1e-9 else tf,
        match_weight=best.match_weight,
        match_probability=best.match_probability,
        verdict=verdict,
        record_pairs=len(pairs),
    )
