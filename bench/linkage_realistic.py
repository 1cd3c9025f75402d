"""Realistic NHS-shaped records for bench/linkage.py: households, three trusts, exact answers.

The population and its trust records come from loaders.generate.population/records (fixed
seed). Pairwise precision/recall over patient records (a record pair is true when both are
the same person); rows: NHS number only, a plain Splink model at its default cut-off, and
openfdp's auto-links, clusters, and clusters with the review band resolved by the answers.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from openfdp.loaders.generate.population import generate_population
from openfdp.loaders.generate.records import Record, record_evidence, trust_records
from openfdp.loaders.linkage import EvidenceStore, load_model, score
from openfdp.loaders.linkage.clusters import cluster_ids
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, normalise_nhs_number

Pair = tuple[str, str]
TRUSTS = ["RA1", "RB2", "RC3"]
AS_OF = date(2026, 11, 1)


def _pairs(groups: dict[str, list[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for members in groups.values():
        ms = sorted(set(members))
        out |= {(x, y) for i, x in enumerate(ms) for y in ms[i + 1 :]}
    return out


def _evidence(
    recs: list[Record], ps: Pseudonymiser
) -> tuple[list[IdentityEvidence], dict[str, str]]:
    """Identity evidence keyed as the trust CSV mapper keys it; record -> pseudo_id."""
    evidence, pseudo = [], {}
    for r in recs:
        ev = record_evidence(r, ps)
        pseudo[f"{r.provider_ods}:{r.local_patient_id}"] = ev.person_ref["pseudo_id"]
        evidence.append(ev)
    return evidence, pseudo


def plain_splink(recs: list[Record]) -> tuple[list[Pair], tuple[float, float]]:
    """Splink's usual recipe on the raw values (dedupe), default cut-off p >= 0.5."""
    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.DataFrame(
        {
            "rec_id": [f"{r.provider_ods}:{r.local_patient_id}" for r in recs],
            "given_name": [r.given_name.upper() if r.given_name else None for r in recs],
            "surname": [r.family_name.upper() if r.family_name else None for r in recs],
            "dob": [r.birth_date for r in recs],
            "postcode": [r.postcode.replace(" ", "") if r.postcode else None for r in recs],
            "nhs": [normalise_nhs_number(r.nhs_number) for r in recs],
            "sex": [r.sex for r in recs],
        }
    )
    con = duckdb.connect()
    con.execute("SET threads = 1").fetchall()
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("dob"),
            block_on("postcode"),
            block_on("nhs"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("nhs", [1, 2]),
            cl.ExactMatch("sex"),
        ],
    )
    linker = Linker(db_api.register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs"), block_on("given_name", "surname", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for rule in (block_on("dob"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    result = linker.inference.predict(threshold_match_probability=0.5)
    rows = con.execute(f"SELECT rec_id_l, rec_id_r FROM {result.physical_name}").fetchall()
    return [(str(a), str(b)) for a, b in rows], (
        time.perf_counter() - t0,
        time.process_time() - c0,
    )


Report = Callable[[str, Iterable[Pair], set[Pair], tuple[float, float]], None]


def run(people: int, seed: int, report: Report) -> None:
    """Print the realistic-data table (``report`` is bench/linkage.py's metrics printer)."""
    t0 = time.perf_counter()
    pop = generate_population(people, seed, AS_OF)
    recs = trust_records(pop, TRUSTS, seed)
    truth_of = {f"{r.provider_ods}:{r.local_patient_id}": r.true_person_id for r in recs}
    groups: dict[str, list[str]] = {}
    for k, t in truth_of.items():
        groups.setdefault(t, []).append(k)
    truth = _pairs(groups)
    roles: dict[str, int] = {}
    for p in pop.people:
        roles[p.role] = roles.get(p.role, 0) + 1
    print(
        f"\nrealistic NHS-shaped records (seed {seed}): {len(pop.people)} people in "
        f"{len(pop.households)} households, {len(recs)} records at {len(TRUSTS)} trusts, "
        f"{len(truth)} true record pairs; generated in {time.perf_counter() - t0:.1f}s"
    )
    print("  roles: " + ", ".join(f"{k} {v}" for k, v in sorted(roles.items())))
    ps = Pseudonymiser(key=b"benchmark-key", domain="realistic")
    evidence, pseudo = _evidence(recs, ps)
    det: dict[str, list[str]] = {}
    for k, pid in pseudo.items():
        det.setdefault(pid, []).append(k)
    report("NHS number only (verified, deterministic)", _pairs(det), truth, (0.0, 0.0))
    base, secs = plain_splink(recs)
    report("splink plain @p>=0.5 (default cut-off)", base, truth, secs)
    model = load_model()
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        with EvidenceStore(Path(tmp) / "evidence.duckdb", ps) as store:
            store.add(evidence)
            scoring = score(store, model, "realistic", threads=1)
        decisions, point = scoring.decide(model)
        secs = (time.perf_counter() - t0, time.process_time() - c0)

    def expand(cid: dict[str, str]) -> set[Pair]:
        g: dict[str, list[str]] = {}
        for k, pid in pseudo.items():
            g.setdefault(cid.get(pid, pid), []).append(k)
        return _pairs(g)

    v = model.model_version
    links = [(p.a, p.b) for p in decisions.links]
    by_person: dict[str, list[str]] = {}
    for k, pid in pseudo.items():
        by_person.setdefault(pid, []).append(k)
    # pairwise decisions: the verified NHS number's pairs plus each auto-link's record pairs
    link_pairs = _pairs(det) | {
        (min(x, y), max(x, y)) for a, b in links for x in by_person[a] for y in by_person[b]
    }
    report(f"openfdp {v} auto-links (pairwise)", link_pairs, truth, secs)
    report(f"openfdp {v} clusters", expand(decisions.clusters), truth, secs)
    true_person = {pid: {truth_of[k] for k in ks} for pid, ks in by_person.items()}
    accepted = [(p.a, p.b) for p in decisions.reviews if true_person[p.a] & true_person[p.b]]
    resolved = cluster_ids([*links, *accepted])
    report(f"openfdp {v} clusters + review band resolved", expand(resolved), truth, secs)
    print(
        f"  operating point (no labels): auto-link p >= {point.match:.3f}, review band "
        f"[{point.review:.3f}, {point.match:.3f}); expected precision "
        f"{point.expected_precision:.4f}, expected recall {point.expected_recall:.4f} "
        f"({point.expected_recall_with_review:.4f} with the review band); "
        f"{point.links} links, {point.reviews} review tasks "
        f"({len(accepted)} of them true)"
    )
    for reason, n in sorted(decisions.held.items(), key=lambda x: -x[1]):
        print(f"  held back: {n:5d}  {reason}")
