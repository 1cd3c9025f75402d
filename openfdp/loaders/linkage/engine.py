"""Splink (DuckDB backend) over encoded evidence: train a model, score candidate pairs.

Input is a pandas frame of encoded rows (see :mod:`openfdp.loaders.linkage.encode`) plus
``record_id``, ``person_id``, ``nhs_verified`` and ``pending``. Nothing here sees a raw
identifier. Every prediction rule is narrowed so that a pair is never two rows of the same
person, never two persons who both hold a verified NHS number (those differ by definition),
and, when linking incrementally, always involves at least one pending row.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from splink import DuckDBAPI, Linker

from openfdp.loaders.linkage.config import LinkageModel
from openfdp.loaders.linkage.encode import BLOOM_BITS, BLOOM_COLUMNS, TOKEN_COLUMNS

_EXCLUDE = "l.person_id <> r.person_id AND NOT (l.nhs_verified AND r.nhs_verified)"
_PENDING = "(l.pending OR r.pending)"
_TABLE = "linkage_input"
_WORDS = BLOOM_BITS // 64
_DICE = re.compile(r"dice\(\s*(\w+)_(l|r)\s*,\s*(\w+)_(l|r)\s*\)")
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


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns for DuckDB: each token as a 64-bit integer (cheaper to compare and
    hash than its hex text), each Bloom filter as 64-bit words (``gn_bf0`` .. ``gn_bf7``)."""
    out = frame.drop(columns=list(BLOOM_COLUMNS))
    for col in TOKEN_COLUMNS:
        cells = frame[col]
        present = cells.notna().to_numpy()
        hexes = "".join(cells[present].astype(str))
        # 16 hex digits -> unsigned 64 bits -> the same bits as a signed BIGINT
        values = np.zeros(len(cells), dtype=np.int64)
        values[present] = np.frombuffer(bytes.fromhex(hexes), dtype=">u8").view(">i8")
        out[col] = pd.arrays.IntegerArray(values, ~present)
    empty = bytes(BLOOM_BITS // 8)
    for col in BLOOM_COLUMNS:
        cells = frame[col]
        blobs = b"".join(bytes(v) if isinstance(v, bytes | bytearray) else empty for v in cells)
        words = np.frombuffer(blobs, dtype=">u8").reshape(-1, _WORDS).astype(np.uint64)
        for k in range(_WORDS):
            out[f"{col}{k}"] = words[:, k]
    return out


def _dice_sql(match: re.Match[str]) -> str:
    (a, sa), (b, sb) = match.group(1, 2), match.group(3, 4)
    common = " + ".join(
        f"CAST(bit_count({a}{k}_{sa} & {b}{k}_{sb}) AS INTEGER)" for k in range(_WORDS)
    )
    return f"(2.0 * ({common}) / ({a}_n_{sa} + {b}_n_{sb}))"


def expand_dice(settings: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``dice(x_bf_l, y_bf_r)`` in comparison levels into SQL over the filter words."""
    out: dict[str, Any] = json.loads(json.dumps(settings))
    for comparison in out.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = _DICE.sub(_dice_sql, level["sql_condition"])
    return out


def _connection(frame: pd.DataFrame, threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}").fetchall()
    con.register("linkage_frame", _prepare(frame))
    con.execute("CREATE TABLE linkage_input AS SELECT * FROM linkage_frame").fetchall()
    con.unregister("linkage_frame")
    return con


def _linker(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> Any:
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(_TABLE, table_name="evidence")
    logging.getLogger("splink").setLevel(logging.ERROR)
    return Linker(sdf, expand_dice(settings), log_level=None)


def _base_settings(model: LinkageModel) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(json.dumps(model.splink))
    settings["unique_id_column_name"] = "record_id"
    settings["additional_columns_to_retain"] = ["person_id"]
    return settings


def train(
    frame: pd.DataFrame, model: LinkageModel, *, threads: int = 1, progress: Progress | None = None
) -> dict[str, Any]:
    """Estimate the prior, u (random sampling) and m (EM); return the trained Splink settings.

    Raises :class:`TrainingFailed` when there are too few rows or Splink cannot fit the model.
    """
    say = progress or (lambda _msg: None)
    if len(frame) < model.min_records:
        raise TrainingFailed(
            f"{len(frame)} comparable records, fewer than the {model.min_records} the model "
            "needs to be trained"
        )
    con = _connection(frame, threads)
    try:
        linker = _linker(con, _base_settings(model))
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
                linker = _linker(con, good)
                continue
            state = dict(linker.misc.save_model_to_json())
            fitted += 1
        if not fitted:
            raise TrainingFailed("no EM session converged")
        trained = state
    except TrainingFailed:
        raise
    except Exception as exc:  # Splink/DuckDB raise many types; the run must still complete
        raise TrainingFailed(f"Splink could not fit the model ({type(exc).__name__})") from exc
    finally:
        con.close()
    return trained


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
    return _scored(marked, model, settings, None, threads=1)


def predict(
    frame: pd.DataFrame,
    model: LinkageModel,
    trained: dict[str, Any],
    *,
    pending_only: bool,
    threads: int = 1,
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
    return _scored(frame, model, settings, keep, threads)


def _scored(
    frame: pd.DataFrame,
    model: LinkageModel,
    settings: dict[str, Any],
    keep: float | None,
    threads: int,
) -> list[ScoredPair]:
    settings["additional_columns_to_retain"] = ["person_id"]
    settings["retain_intermediate_calculation_columns"] = True
    # the comparison vector (gamma_*) comes only with the matching columns
    settings["retain_matching_columns"] = True
    settings.pop("linker_uid", None)
    con = _connection(frame, threads)
    try:
        linker = _linker(con, settings)
        result = linker.inference.predict(threshold_match_probability=keep, warning_mode="never")
        names = model.comparison_names
        cols = ", ".join([f'"mw_{n}"' for n in names] + [f'"gamma_{n}"' for n in names])
        rows = con.execute(
            "SELECT record_id_l, record_id_r, person_id_l, person_id_r, match_probability, "  # noqa: S608
            f"match_weight, {cols} FROM {result.physical_name}"
        ).fetchall()
    finally:
        con.close()
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
