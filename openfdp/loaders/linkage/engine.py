"""Splink over encoded evidence: train a model, score candidate pairs.

The SQL engine is a small choice (:class:`EngineConfig`): DuckDB in this process (the
default, :mod:`engine_duckdb`) or Spark (:mod:`engine_spark`), with one model definition
and one SQL rewriting for both (:mod:`engine_sql`).

Input is a pandas frame of encoded rows (see :mod:`openfdp.loaders.linkage.encode`) plus
``record_id``, ``person_id``, ``nhs_verified`` and ``pending``. Nothing here sees a raw
identifier. Every prediction rule is narrowed so that a pair is never two rows of the same
person, never two persons who both hold a verified NHS number (those differ by definition),
and, when linking incrementally, always involves at least one pending row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from openfdp.loaders.linkage.config import LinkageModel
from openfdp.loaders.linkage.engine_duckdb import _connection
from openfdp.loaders.linkage.engine_sql import (
    Backend,
    EngineConfig,
    expand_dice,
    open_backend,
)

_EXCLUDE = "l.person_id <> r.person_id AND NOT (l.nhs_verified AND r.nhs_verified)"
_PENDING = "(l.pending OR r.pending)"
__all__ = ["EngineConfig", "ScoredPair", "TrainingFailed", "_connection", "expand_dice"]
log = logging.getLogger("openfdp.linkage")

Progress = Callable[[str], None]


class TrainingFailed(Exception):
    """The probabilistic model could not be trained; the message says why (no values)."""


@dataclass(frozen=True, slots=True)
class ScoredPair:
    left_record: str
    right_record: str
    left_person: str
    right_person: str
    match_probability: float
    match_weight: float
    agreed: tuple[str, ...]
    gammas: tuple[int, ...] = ()  # comparison levels (Splink gamma), in comparison order
    weights: tuple[float, ...] = ()  # match weight of each comparison, in the same order


def _linker(backend: Backend, settings: dict[str, Any]) -> Any:
    return backend.linker(expand_dice(settings))


def _base_settings(model: LinkageModel) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(json.dumps(model.splink))
    settings["unique_id_column_name"] = "record_id"
    settings["additional_columns_to_retain"] = ["person_id"]
    return settings


def train(
    frame: pd.DataFrame,
    model: LinkageModel,
    *,
    threads: int = 1,
    progress: Progress | None = None,
    engine: EngineConfig | None = None,
) -> dict[str, Any]:
    """Estimate the prior, u (random sampling) and m (EM); return the trained Splink settings.

    Above the engine's ``train_records`` rows, on a sample of persons (:func:`training_sample`).

    Raises :class:`TrainingFailed` when there are too few rows or Splink cannot fit the model,
    and :class:`~openfdp.store.linkage.LinkageError` when the engine is not available.
    """
    say = progress or (lambda _msg: None)
    if len(frame) < model.min_records:
        raise TrainingFailed(
            f"{len(frame)} comparable records, fewer than the {model.min_records} the model "
            "needs to be trained"
        )
    cfg = engine or EngineConfig(threads=threads)
    if cfg.train_records and len(frame) > cfg.train_records:
        frame = training_sample(frame, cfg.train_records)
        say(f"training on a sample of {len(frame):,} records")
    backend = open_backend(frame, cfg)
    try:
        linker = _linker(backend, _base_settings(model))
        training = model.training
        say("estimating the prior")
        prior = training["prior"]
        linker.training.estimate_probability_two_random_records_match(
            list(prior["deterministic_rules"]), recall=float(prior["recall"])
        )
        say("estimating u by random sampling")
        u = training.get("u", {})
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(u.get("max_pairs", 1e6)), seed=int(u.get("seed", 42))
        )
        state = dict(linker.misc.save_model_to_json())
        fitted = 0
        for session in training["em"]:
            say(f"estimating m by EM ({session['blocking_rule']})")
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    session["blocking_rule"], estimate_without_term_frequencies=True
                )
            except ValueError as exc:  # e.g. a level's m underflows to 0 on small data
                log.warning("EM session skipped (%s): %s", session["blocking_rule"], exc)
                # a failed session can leave the linker half-updated: go back to the last
                # good state
                good = {k: v for k, v in json.loads(json.dumps(state)).items() if k != "linker_uid"}
                linker = _linker(backend, good)
                continue
            state = dict(linker.misc.save_model_to_json())
            fitted += 1
        if not fitted:
            raise TrainingFailed("no EM session converged")
        trained = state
    except TrainingFailed:
        raise
    except Exception as exc:  # Splink and its engines raise many types; the run must complete
        raise TrainingFailed(f"Splink could not fit the model ({type(exc).__name__})") from exc
    finally:
        backend.close()
    return trained


def training_sample(frame: pd.DataFrame, records: int) -> pd.DataFrame:
    """The rows of a fixed share of persons (by a hash of person_id), about `records` rows.

    The model's parameters do not depend on the data's size: m and u are shares of pairs
    and the prior, the share of pairs that match, is estimated within the sample, where
    both true pairs and all pairs shrink by the square of the share kept. EM blocking on
    date of birth, however, grows with the square of the rows, so a million-person ICS is
    trained on a sample (docs/scale.md, "Linkage at a million people").
    """
    share = records / len(frame)
    hashed = pd.util.hash_pandas_object(frame["person_id"], index=False).to_numpy()
    return frame[(hashed % 1_000_000) < int(share * 1_000_000)].reset_index(drop=True)


def compare_persons(
    frame: pd.DataFrame, model: LinkageModel, trained: dict[str, Any], persons: list[str]
) -> list[ScoredPair]:
    """Every record pair across some persons, whatever its score.

    The whole frame goes in, so term frequencies are those of the data, not of the few rows
    compared; only rows of `persons` are paired (an equi-join on a marker column).
    """
    marked = frame.assign(explain_key=frame["person_id"].isin(persons).map({True: 1}))
    settings = dict(trained)
    settings["blocking_rules_to_generate_predictions"] = [
        "l.explain_key = r.explain_key AND l.person_id <> r.person_id"
    ]
    return _scored(marked, model, settings, None, EngineConfig())


def predict(
    frame: pd.DataFrame,
    model: LinkageModel,
    trained: dict[str, Any],
    *,
    pending_only: bool,
    threads: int = 1,
    engine: EngineConfig | None = None,
    progress: Progress | None = None,
) -> list[ScoredPair]:
    """Score blocked pairs with a trained model.

    Keeps the pairs at or above the lower of the review threshold and the cluster floor:
    the decisions need both the candidates and the evidence about every pair in a cluster.
    """
    settings = dict(trained)
    settings["blocking_rules_to_generate_predictions"] = [
        _narrow(rule, pending_only)
        for rule in model.splink["blocking_rules_to_generate_predictions"]
    ]
    keep = min(model.thresholds.review, model.decision.cluster_floor)
    cfg = engine or EngineConfig(threads=threads)
    return _scored(frame, model, settings, keep, cfg, progress=progress)


def _scored(
    frame: pd.DataFrame,
    model: LinkageModel,
    settings: dict[str, Any],
    keep: float | None,
    engine: EngineConfig,
    *,
    progress: Progress | None = None,
) -> list[ScoredPair]:
    settings["additional_columns_to_retain"] = ["person_id"]
    settings["retain_intermediate_calculation_columns"] = True
    # the comparison vector (gamma_*) comes only with the matching columns
    settings["retain_matching_columns"] = True
    settings.pop("linker_uid", None)
    names = model.comparison_names
    cols = [f"mw_{n}" for n in names] + [f"gamma_{n}" for n in names]
    base = ["record_id_l", "record_id_r", "person_id_l", "person_id_r"]
    columns = [*base, "match_probability", "match_weight", *cols]
    say = progress or (lambda _msg: None)
    # the blocked pairs of one chunk of left records at a time (Splink's chunking): the pairs
    # before scoring grow with the square of the records, the kept ones do not
    chunks = max(1, -(-len(frame) // engine.chunk_records)) if engine.chunk_records else 1
    rows: list[tuple[Any, ...]] = []
    backend = open_backend(frame, engine)
    try:
        linker = _linker(backend, settings)
        for i in range(1, chunks + 1):
            if chunks > 1:
                say(f"scoring candidate pairs: chunk {i} of {chunks}")
            part = linker.inference.predict_chunk(
                left_chunk=(i, chunks),
                right_chunk=(1, 1),
                threshold_match_probability=keep,
                warning_mode="never",
            )
            rows.extend(backend.rows(part, columns, base[:2]))
            part.drop_table_from_database_and_remove_from_cache()
    finally:
        backend.close()
    if chunks > 1:
        rows.sort(key=lambda r: (r[0], r[1]))
    k = len(names)
    return [
        ScoredPair(
            left_record=str(r[0]),
            right_record=str(r[1]),
            left_person=str(r[2]),
            right_person=str(r[3]),
            match_probability=float(r[4]),
            match_weight=float(r[5]),
            agreed=tuple(n for n, w in zip(names, r[6 : 6 + k], strict=True) if w and w > 0),
            gammas=tuple(int(g) for g in r[6 + k :]),
            weights=tuple(float(w or 0.0) for w in r[6 : 6 + k]),
        )
        for r in rows
    ]


def _rule_sql(rule: Any) -> str:
    return rule if isinstance(rule, str) else str(rule["blocking_rule"])


def _narrow(rule: Any, pending_only: bool) -> str:
    sql = f"({_rule_sql(rule)}) AND {_EXCLUDE}"
    return f"{sql} AND {_PENDING}" if pending_only else sql
