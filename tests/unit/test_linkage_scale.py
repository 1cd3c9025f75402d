"""Linkage at ICS scale: the memory-bounded paths give the same answers as the plain ones.

docs/scale.md, "Linkage at a million people": the evidence comes out of the store already
in the integer shape Splink compares, pairs are blocked and scored one chunk of records at
a time, DuckDB spills past a memory limit, and a large population trains on a sample of
persons. Each test compares the bounded path with the plain one on generated people.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openfdp.loaders.generate.population import generate_population
from openfdp.loaders.generate.records import record_evidence, trust_records
from openfdp.loaders.linkage import EvidenceStore, engine, load_model
from openfdp.loaders.linkage.encode import BLOOM_COLUMNS, TOKEN_COLUMNS
from openfdp.loaders.linkage.engine_duckdb import _connection
from openfdp.loaders.linkage.engine_sql import WORDS, EngineConfig, prepare
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.settings import LinkageSettings

pytestmark = pytest.mark.unit

PS = Pseudonymiser(key=b"scale-test-key", domain="scale")
MODEL = load_model()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EvidenceStore:
    pop = generate_population(1200, seed=5, as_of=date(2026, 11, 1))
    recs = trust_records(pop, ["RA1", "RB2", "RC3"], seed=5)
    s = EvidenceStore(tmp_path_factory.mktemp("scale") / "evidence.duckdb", PS)
    s.add([record_evidence(r, PS) for r in recs])
    return s


def test_the_store_prepares_the_frame_as_python_does(store: EvidenceStore) -> None:
    """Tokens as signed 64-bit integers and Bloom filters as words, NULLs kept."""
    sql = store.frame(PS.domain, store.high_water())
    persons = sorted(set(sql["person_id"]))
    python = prepare(store.frame_of(PS.domain, persons))
    python = python[python["record_id"].isin(set(sql["record_id"]))].reset_index(drop=True)
    assert len(sql) == len(python) > 1000
    assert list(sql["record_id"]) == list(python["record_id"])
    for col in TOKEN_COLUMNS:
        assert sql[col].isna().tolist() == python[col].isna().tolist(), col
        assert sql[col].dropna().astype("int64").tolist() == (
            python[col].dropna().astype("int64").tolist()
        ), col
    some_null = False
    for col in BLOOM_COLUMNS:
        for k in range(WORDS):
            got = sql[f"{col}{k}"].to_numpy(dtype=np.uint64)
            assert np.array_equal(got, python[f"{col}{k}"].to_numpy(dtype=np.uint64)), col
        some_null |= bool(sql[f"{col}_n"].isna().any())
    # the comparison covers tokens that are absent and filters that are empty
    assert some_null and any(sql[c].isna().any() for c in TOKEN_COLUMNS)
    # Spark's copy holds the same bits as signed words
    signed = prepare(sql, signed_words=True)
    assert signed["gn_bf0"].dtype == np.int64
    assert np.array_equal(signed["gn_bf0"].to_numpy().view(np.uint64), sql["gn_bf0"].to_numpy())


def _key(p: engine.ScoredPair) -> tuple[str, str, float, tuple[int, ...]]:
    return (p.left_record, p.right_record, round(p.match_probability, 9), p.gammas)


def test_chunked_scoring_finds_the_same_pairs(store: EvidenceStore, tmp_path: Path) -> None:
    frame = store.frame(PS.domain, store.high_water())
    trained = engine.train(frame, MODEL)
    whole = engine.predict(frame, MODEL, trained, pending_only=False)
    cfg = EngineConfig(chunk_records=300, memory_limit="512MiB", temp_dir=tmp_path / "spill")
    chunked = engine.predict(frame, MODEL, trained, pending_only=False, engine=cfg)
    assert len(frame) > 4 * 300  # at least five chunks
    assert len(whole) > 100
    assert [_key(p) for p in chunked] == [_key(p) for p in whole]


def test_duckdb_gets_the_memory_limit_and_the_spill_folder(tmp_path: Path) -> None:
    frame = pd.DataFrame({"record_id": ["a"], "person_id": ["p"]})
    for col in TOKEN_COLUMNS:
        frame[col] = None
    for col in BLOOM_COLUMNS:
        frame[col] = None
        frame[f"{col}_n"] = None
    cfg = EngineConfig(memory_limit="700MiB", temp_dir=tmp_path / "spill")
    con = _connection(frame, cfg)
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        temp = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    finally:
        con.close()
    assert limit.replace(" ", "") in {"700.0MiB", "734.0MB", "700MiB"}
    assert Path(temp) == tmp_path / "spill"


def test_the_automatic_memory_limit_is_a_sixth_of_the_machine() -> None:
    auto = LinkageSettings().duckdb_memory_limit
    assert auto.endswith("MiB") and int(auto.removesuffix("MiB")) >= 1024
    assert LinkageSettings(memory_limit="3GiB").duckdb_memory_limit == "3GiB"


def test_the_training_sample_keeps_whole_persons(store: EvidenceStore) -> None:
    frame = store.frame(PS.domain, store.high_water())
    sample = engine.training_sample(frame, len(frame) // 3)
    assert 0.2 < len(sample) / len(frame) < 0.45
    rows_of = frame.groupby("person_id").size()
    kept = sample.groupby("person_id").size()
    assert (kept == rows_of[kept.index]).all()  # every row of a person kept, or none
    again = engine.training_sample(frame, len(frame) // 3)
    assert list(again["record_id"]) == list(sample["record_id"])


def test_a_model_trained_on_a_sample_links_the_same_pairs(store: EvidenceStore) -> None:
    """m and u are shares of pairs and the prior is estimated within the sample, so a model
    trained on half the persons agrees with one trained on all on nearly every pair (here
    600 persons train the sampled model; a million-person ICS trains on 400,000 records)."""
    frame = store.frame(PS.domain, store.high_water())
    full = engine.train(frame, MODEL)
    half = engine.train(frame, MODEL, engine=EngineConfig(train_records=len(frame) // 2))
    assert half != full
    a = {(p.left_record, p.right_record) for p in _links(frame, full)}
    b = {(p.left_record, p.right_record) for p in _links(frame, half)}
    assert len(a) > 200
    assert len(a ^ b) <= 0.05 * len(a | b)


def _links(frame: pd.DataFrame, trained: dict[str, object]) -> list[engine.ScoredPair]:
    pairs = engine.predict(frame, MODEL, trained, pending_only=False)
    return [p for p in pairs if p.match_probability >= MODEL.thresholds.match]
