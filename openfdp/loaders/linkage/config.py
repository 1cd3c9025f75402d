"""Linkage models as versioned settings data (``loaders/linkage/models/*.json``).

A model file holds the blocking rules, comparisons (Splink settings over encoded columns
only), the training recipe and the two thresholds, under a ``name`` and ``version`` that
every link it produces records. Changing the model means editing or adding a file, never
code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
class LinkageModel:
    name: str
    version: str
    thresholds: Thresholds
    training: dict[str, Any]
    splink: dict[str, Any]

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
    return model
