"""Linkage models as versioned settings data (``loaders/linkage/models/*.json``).

A model file holds the blocking rules, comparisons (Splink settings over encoded columns
only), the training recipe, the least thresholds and the decision rule (calibration targets,
cluster floor, identity evidence, conflicts), under a ``name`` and ``version`` that every
link it produces records. Changing the model means editing or adding a file, never code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openfdp.store.linkage import LinkageError

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "default.json"


@dataclass(frozen=True)
class Thresholds:
    """Pairs at or above ``match`` are linked; from ``review`` up to ``match`` they are reviewed."""

    match: float
    review: float

    def band(self, probability: float) -> str:
        """``match``, ``review`` or ``none`` for one match probability."""
        if probability >= self.match:
            return "match"
        if probability >= self.review:
            return "review"
        return "none"


@dataclass(frozen=True)
class Conflict:
    """A pattern of comparison levels that says two records are different people."""

    name: str
    levels: dict[str, tuple[str, ...]]  # comparison -> level labels (all must hold)
    unless: dict[str, tuple[str, ...]] = field(default_factory=dict)  # any of these lifts it


@dataclass(frozen=True)
class Decision:
    """How pairs become links and clusters (docs/linkage.md, "Decisions")."""

    target_precision: float = 0.995  # expected precision of the auto-links
    target_recall: float = 0.999  # expected share of matches inside links + review band
    cluster_floor: float = 0.05  # every cross-person record pair in a cluster reaches this
    identity_comparisons: tuple[str, ...] = ()  # their weights must add up to ...
    identity_supporting: tuple[str, ...] = ()  # (these count only when they agree)
    identity_min_weight: float = 0.0  # ... at least this for an automatic link
    conflicts: tuple[Conflict, ...] = ()


def _decision(data: dict[str, Any] | None) -> Decision:
    if not data:
        return Decision()
    return Decision(
        target_precision=float(data.get("target_precision", 0.995)),
        target_recall=float(data.get("target_recall", 0.999)),
        cluster_floor=float(data.get("cluster_floor", 0.05)),
        identity_comparisons=tuple(str(x) for x in data.get("identity_comparisons", [])),
        identity_supporting=tuple(str(x) for x in data.get("identity_supporting", [])),
        identity_min_weight=float(data.get("identity_min_weight", 0.0)),
        conflicts=tuple(
            Conflict(
                str(c["name"]),
                {str(k): tuple(str(x) for x in v) for k, v in dict(c["levels"]).items()},
                {str(k): tuple(str(x) for x in v) for k, v in dict(c.get("unless", {})).items()},
            )
            for c in data.get("conflicts", [])
        ),
    )


@dataclass(frozen=True)
class LinkageModel:
    name: str
    version: str
    thresholds: Thresholds  # the least thresholds; a run may raise them (calibrate.py)
    training: dict[str, Any]
    splink: dict[str, Any]
    decision: Decision = Decision()

    @property
    def model_version(self) -> str:
        """What links and review tasks record, e.g. ``default@1``."""
        return f"{self.name}@{self.version}"

    @property
    def min_records(self) -> int:
        return int(self.training.get("min_records", 200))

    @property
    def comparison_names(self) -> list[str]:
        return [str(c["output_column_name"]) for c in self.splink["comparisons"]]

    def gamma_of(self, comparison: str, label: str) -> int:
        """Splink's comparison vector value of a level (null -1, last level 0, first highest)."""
        for c in self.splink["comparisons"]:
            if c["output_column_name"] == comparison:
                levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
                labels = [str(lv.get("label_for_charts")) for lv in levels]
                return len(labels) - 1 - labels.index(label)
        raise KeyError(comparison)


def load_model(path: Path | None = None) -> LinkageModel:
    """Read and check a model file; a broken file is a one-line :class:`LinkageError`."""
    path = path or DEFAULT_MODEL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LinkageError(f"cannot read linkage model {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise LinkageError(f"linkage model {path} is not valid JSON (line {exc.lineno})") from exc
    try:
        thresholds = Thresholds(
            match=float(data["thresholds"]["match"]), review=float(data["thresholds"]["review"])
        )
        model = LinkageModel(
            name=str(data["name"]),
            version=str(data["version"]),
            thresholds=thresholds,
            training=dict(data["training"]),
            splink=dict(data["splink"]),
            decision=_decision(data.get("decision")),
        )
        _ = model.comparison_names
        rules = model.splink["blocking_rules_to_generate_predictions"]
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkageError(f"linkage model {path} is missing or has a bad field: {exc}") from exc
    if not 0.0 < thresholds.review <= thresholds.match <= 1.0:
        raise LinkageError(
            f"linkage model {path}: thresholds need 0 < review <= match <= 1 "
            f"(got review {thresholds.review}, match {thresholds.match})"
        )
    if not rules:
        raise LinkageError(f"linkage model {path} has no blocking rules")
    _check_decision(path, model)
    return model


def _check_decision(path: Path, model: LinkageModel) -> None:
    d = model.decision
    names = set(model.comparison_names)
    unknown = (
        set(d.identity_comparisons)
        | set(d.identity_supporting)
        | {n for c in d.conflicts for n in (*c.levels, *c.unless)}
    )
    if unknown - names:
        raise LinkageError(
            f"linkage model {path}: the decision block names unknown comparisons "
            f"{sorted(unknown - names)}"
        )
    labels = {
        str(c["output_column_name"]): {
            str(lv.get("label_for_charts")) for lv in c["comparison_levels"]
        }
        for c in model.splink["comparisons"]
    }
    for c in d.conflicts:
        for comp, wanted in (*c.levels.items(), *c.unless.items()):
            if set(wanted) - labels[comp]:
                raise LinkageError(
                    f"linkage model {path}: conflict {c.name!r} names unknown levels of {comp}"
                )
    if not 0.0 < d.cluster_floor < 1.0 or not 0.0 < d.target_precision < 1.0:
        raise LinkageError(f"linkage model {path}: cluster_floor and target_precision need (0, 1)")
