"""Linkage against the real Neo4j: known truth, deterministic identity, review band,
idempotence, incremental extracts, fallback, and a privacy scan of graph and evidence store."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.linkage import EvidenceStore, default_path, pseudonymiser_for, run_linkage
from openfdp.loaders.linkage.config import DEFAULT_MODEL
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import looks_like_valid_nhs_number
from openfdp.settings import Settings
from openfdp.store.fingerprint import graph_fingerprint
from openfdp.store.linkage import LinkageError, LinkGraph, task_id
from tests.conftest import make_test_settings

pytestmark = pytest.mark.integration
_HEX = re.compile(r"\b[0-9a-f]{16,64}\b")  # pseudo_ids, tokens, task ids: keyed hashes

_SYL = [
    "an",
    "bel",
    "cor",
    "dar",
    "el",
    "fen",
    "gar",
    "hol",
    "ing",
    "jas",
    "kel",
    "lor",
    "mar",
    "nor",
    "ost",
    "par",
    "quin",
    "ros",
    "sel",
    "tam",
    "ulf",
    "ver",
    "wyn",
    "zan",
]


@dataclass(frozen=True)
class Truth:
    person: int  # the true person
    ev: IdentityEvidence


def _nhs(rng: random.Random) -> str:
    while True:
        body = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return body + str(check)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYL) for _ in range(rng.choice((2, 3)))).capitalize()


def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(1, len(s))
    return s[:i] + rng.choice("aeiourstn") + s[i + 1 :]


def _people(rng: random.Random, n: int) -> list[dict[str, str]]:
    out = []
    for _ in range(n):
        out.append(
            {
                "given": _name(rng),
                "family": _name(rng),
                "dob": f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02d}"
                f"-{rng.randint(1, 28):02d}",
                "sex": rng.choice("MF"),
                "postcode": f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}"
                f"{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
                "nhs": _nhs(rng),
            }
        )
    return out


def _evidence(
    settings: Settings,
    trust: str,
    local: str,
    p: dict[str, str],
    *,
    nhs: bool,
    noise: random.Random | None = None,
) -> IdentityEvidence:
    ps = pseudonymiser_for(settings)
    given, family, postcode = p["given"], p["family"], p["postcode"]
    if noise is not None:
        given = _typo(noise, given) if noise.random() < 0.5 else given
        family = _typo(noise, family) if noise.random() < 0.3 else family
        roll = noise.random()
        if roll < 0.25:
            postcode = None
        elif roll < 0.4:  # moved house
            postcode = f"LS{noise.randint(1, 29)} {noise.randint(1, 9)}AB"
    pid = ps.person_id(
        nhs_number=p["nhs"] if nhs else None, provider_ods=trust, local_patient_id=local
    )
    return IdentityEvidence(
        person_ref=ps.person_key(pid),
        provider_ods=trust,
        local_patient_id=local,
        nhs_number=p["nhs"] if nhs else None,
        given_name=given,
        family_name=family,
        birth_date=p["dob"],
        sex_code=p["sex"],
        postcode=postcode,
    )


def population(
    settings: Settings, seed: int = 7
) -> tuple[list[Truth], list[Truth], list[dict[str, str]]]:
    """Trust RAA: 260 people, most with verified NHS numbers. Trust RBB: 120 of them again,
    without NHS numbers and with typos and missing postcodes, plus 80 others."""
    rng = random.Random(seed)
    people = _people(rng, 340)
    a = [
        Truth(i, _evidence(settings, "RAA", f"A{i}", people[i], nhs=i % 4 != 0)) for i in range(260)
    ]
    noise = random.Random(seed + 1)
    b = [
        Truth(i, _evidence(settings, "RBB", f"B{i}", people[i], nhs=False, noise=noise))
        for i in range(120)
    ]
    b += [
        Truth(i, _evidence(settings, "RBB", f"B{i}", people[i], nhs=False)) for i in range(260, 340)
    ]
    return a, b, people


def write_persons(driver: Driver, settings: Settings, items: list[Truth]) -> None:
    rows = [
        {
            "pseudo_id": t.ev.person_ref["pseudo_id"],
            "props": {
                "nhs_number_verified": t.ev.nhs_number is not None,
                "year_of_birth": int(t.ev.birth_date[:4]) if t.ev.birth_date else None,
            },
        }
        for t in items
    ]
    LinkGraph(driver, settings.neo4j.database).merge_persons(settings.privacy.domain, rows)


def load(driver: Driver, settings: Settings, items: list[Truth]) -> int:
    """What the load pipeline does: write the persons, then hand the evidence to the sink."""
    write_persons(driver, settings, items)
    with EvidenceStore(default_path(settings.state_dir), pseudonymiser_for(settings)) as store:
        return store.add([t.ev for t in items])


def clusters(driver: Driver) -> dict[str, str]:
    res = driver.execute_query(
        "MATCH (p:PseudonymisedPerson) RETURN p.pseudo_id AS p, p.cluster_id AS c"
    )
    return {r["p"]: r["c"] for r in res.records}


def pair_scores(items: list[Truth], cl: dict[str, str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) over pairs of distinct persons."""
    by_pid: dict[str, int] = {t.ev.person_ref["pseudo_id"]: t.person for t in items}
    pids = sorted(by_pid)
    tp = fp = fn = 0
    for i, x in enumerate(pids):
        for y in pids[i + 1 :]:
            same, linked = by_pid[x] == by_pid[y], cl[x] == cl[y]
            tp += same and linked
            fp += linked and not same
            fn += same and not linked
    return tp, fp, fn


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return make_test_settings(state_dir=tmp_path)


def test_links_records_without_nhs_number_to_the_right_person(
    clean_graph: Driver, settings: Settings
) -> None:
    a, b, _ = population(settings)
    load(clean_graph, settings, a + b)
    summary = run_linkage(clean_graph, settings)

    assert summary.mode == "probabilistic" and summary.trained_now
    tp, fp, fn = pair_scores(a + b, clusters(clean_graph))
    assert fp == 0
    assert tp >= 110 and fn <= 10  # 120 planted matches, with typos and missing postcodes
    assert summary.links_created == summary.merges and summary.links_created >= 100
    rel = clean_graph.execute_query(
        "MATCH (x:PseudonymisedPerson)-[r:SAME_PERSON_AS]->(y:PseudonymisedPerson) "
        "RETURN x.pseudo_id AS x, y.pseudo_id AS y, x.cluster_id AS cx, y.cluster_id AS cy, "
        "properties(r) AS props LIMIT 1"
    ).records[0]
    assert rel["x"] < rel["y"] and rel["cx"] == rel["cy"] == min(rel["x"], rel["y"])
    props = rel["props"]
    # auto-links start at the threshold the run chose from its own scores (no fixed 0.95)
    assert summary.point is not None and summary.point.match >= 0.5
    assert summary.point.match <= props["match_probability"] <= 1 and props["match_weight"] > 0
    assert props["model_version"] == "default@2"
    assert "date_of_birth" in props["agreed"] and set(props["agreed"]) <= {
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "postcode",
        "nhs_number",
        "address",
    }


def test_verified_nhs_number_is_one_person_and_twins_stay_apart(
    clean_graph: Driver, settings: Settings
) -> None:
    a, b, people = population(settings)
    # the same verified NHS number at another trust: the same pseudo_id, so the same node
    same = Truth(1, _evidence(settings, "RCC", "C1", people[1], nhs=True))
    assert same.ev.person_ref == a[1].ev.person_ref
    # a twin: everything equal but a different verified NHS number
    twin = Truth(
        999,
        _evidence(
            settings,
            "RCC",
            "C2",
            {**people[2], "given": people[2]["given"], "nhs": "9434765919"},
            nhs=True,
        ),
    )
    load(clean_graph, settings, a + b + [same, twin])
    summary = run_linkage(clean_graph, settings)

    assert summary.persons == len({t.ev.person_ref["pseudo_id"] for t in a + b + [twin]})
    cl = clusters(clean_graph)
    one = a[1].ev.person_ref["pseudo_id"]
    assert cl[one] == min(one, *[k for k, v in cl.items() if v == cl[one]])
    assert cl[twin.ev.person_ref["pseudo_id"]] != cl[a[2].ev.person_ref["pseudo_id"]]
    with EvidenceStore(default_path(settings.state_dir), pseudonymiser_for(settings)) as store:
        assert store.providers(settings.privacy.domain, one) == {"RAA": 1, "RCC": 1}


def test_second_run_changes_nothing(clean_graph: Driver, settings: Settings) -> None:
    a, b, _ = population(settings)
    load(clean_graph, settings, a + b)
    first = run_linkage(clean_graph, settings)
    before = graph_fingerprint(clean_graph)
    assert load(clean_graph, settings, a + b) == 0  # the same evidence again adds no rows
    second = run_linkage(clean_graph, settings)

    assert first.links_created > 0
    assert (second.links_created, second.review_tasks_created, second.cluster_ids_changed) == (
        0,
        0,
        0,
    )
    assert second.pending == 0 and not second.trained_now
    assert graph_fingerprint(clean_graph) == before


def test_new_extract_links_to_existing_persons_without_retraining(
    clean_graph: Driver, settings: Settings
) -> None:
    a, b, people = population(settings)
    load(clean_graph, settings, a + b)
    run_linkage(clean_graph, settings)
    before = clusters(clean_graph)
    # a later extract from a third trust: 30 known people (no NHS number) and 5 new ones
    noise = random.Random(99)
    c = [
        Truth(i, _evidence(settings, "RDD", f"D{i}", people[i], nhs=False, noise=noise))
        for i in range(200, 230)
    ]
    extra = _people(random.Random(5), 5)
    c += [
        Truth(1000 + i, _evidence(settings, "RDD", f"N{i}", extra[i], nhs=False)) for i in range(5)
    ]
    load(clean_graph, settings, c)
    second = run_linkage(clean_graph, settings)

    assert not second.trained_now and second.pending == len(c)
    assert second.links_created >= 27
    after = clusters(clean_graph)
    _tp, fp, _fn = pair_scores(a + b + c, after)
    assert fp == 0
    linked_new = [
        t
        for t in c[:30]
        if sum(1 for v in after.values() if v == after[t.ev.person_ref["pseudo_id"]]) > 1
    ]
    assert len(linked_new) >= 27
    # persons of the first extract keep their clusters unless a new person joined them
    moved = [k for k, v in before.items() if after[k] != v]
    assert all(after[k] < v for k, v in ((k, before[k]) for k in moved))


def _review_model(tmp_path: Path) -> Path:
    data = json.loads(DEFAULT_MODEL.read_text())
    data["thresholds"] = {"match": 0.999999999, "review": 0.5}
    path = tmp_path / "review.json"
    path.write_text(json.dumps(data))
    return path


def test_review_band_accept_and_reject(
    clean_graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    a, b, _ = population(settings)
    load(clean_graph, settings, a + b)
    summary = run_linkage(clean_graph, settings, model_path=_review_model(tmp_path))
    assert summary.review_tasks_created > 0
    graph = LinkGraph(clean_graph, settings.neo4j.database)
    tasks = graph.list_tasks("open", 1000)
    assert len(tasks) == summary.review_tasks_created
    assert all(len(t["persons"]) == 2 and t["status"] == "open" for t in tasks)
    first, second = tasks[0], tasks[1]

    outcome = graph.decide(first["task_id"], accept=True, by="dr.reviewer")
    x, y = first["persons"]
    cl = clusters(clean_graph)
    assert cl[x] == cl[y] == outcome["cluster_id"] == min(x, y)
    done = graph.list_tasks("accepted", 10)[0]
    assert done["decided_by"] == "dr.reviewer" and done["decided_at"]
    rel = clean_graph.execute_query(
        "MATCH (:PseudonymisedPerson {pseudo_id: $x})-[r:SAME_PERSON_AS]-"
        "(:PseudonymisedPerson {pseudo_id: $y}) "
        "RETURN r.decided_by AS by",
        x=x,
        y=y,
    ).records
    assert [r["by"] for r in rel] == ["dr.reviewer"]

    graph.decide(second["task_id"], accept=False, by="dr.reviewer")
    assert graph.list_tasks("rejected", 10)[0]["task_id"] == second["task_id"]
    with pytest.raises(LinkageError, match="already rejected"):
        graph.decide(second["task_id"], accept=True, by="someone")
    with pytest.raises(LinkageError, match="no review task"):
        graph.decide("0000", accept=True, by="someone")

    # a full rescore with the default thresholds links the band, but never a rejected pair
    run_linkage(clean_graph, settings, full=True)
    cl = clusters(clean_graph)
    u, v = second["persons"]
    assert cl[u] != cl[v]
    assert task_id(u, v) == second["task_id"]


def test_too_few_records_falls_back_to_deterministic(
    clean_graph: Driver, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    a, _, _ = population(settings)
    ps = pseudonymiser_for(settings)
    empty = Truth(
        -1,
        IdentityEvidence(
            person_ref=ps.person_key(ps.person_id(nhs_number=None, source="csv", record_key="x:1")),
            provider_ods="RAA",
        ),
    )
    few = [*a[:10], empty]
    load(clean_graph, settings, few)
    summary = run_linkage(clean_graph, settings)

    assert summary.mode == "deterministic only"
    assert summary.warnings and "fewer than the 200" in summary.warnings[0]
    assert any("deterministic linkage only" in r.getMessage() for r in caplog.records)
    cl = clusters(clean_graph)
    assert len(cl) == 11 and all(
        k == v for k, v in cl.items()
    )  # everyone, including the empty record
    with EvidenceStore(default_path(settings.state_dir), pseudonymiser_for(settings)) as store:
        assert store.count() == 11 and store.count(pending=True) == 11  # linked later, not lost


def test_record_without_identifiers_stays_its_own_person(
    clean_graph: Driver, settings: Settings
) -> None:
    a, b, _ = population(settings)
    ps = pseudonymiser_for(settings)
    empties = [
        Truth(
            -i,
            IdentityEvidence(
                person_ref=ps.person_key(
                    ps.person_id(nhs_number=None, source="csv", record_key=f"x:{i}")
                ),
                provider_ods="RBB",
            ),
        )
        for i in range(1, 4)
    ]
    load(clean_graph, settings, a + b + empties)
    run_linkage(clean_graph, settings)
    cl = clusters(clean_graph)
    for t in empties:
        pid = t.ev.person_ref["pseudo_id"]
        assert cl[pid] == pid and list(cl.values()).count(pid) == 1


def test_nothing_identifying_reaches_graph_or_evidence_store(
    clean_graph: Driver, settings: Settings
) -> None:
    a, b, people = population(settings)
    load(clean_graph, settings, a + b)
    run_linkage(clean_graph, settings)

    secrets: set[str] = set()
    for p in people:
        secrets |= {
            p["given"],
            p["family"],
            p["dob"],
            p["dob"].replace("-", ""),
            p["postcode"],
            p["postcode"].replace(" ", ""),
            p["nhs"],
        }
    secrets |= {s.upper() for s in secrets}
    res = clean_graph.execute_query(
        "MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p"
    )
    graph_text = json.dumps([r["p"] for r in res.records], default=str)
    assert not [s for s in secrets if s in graph_text]
    assert not looks_like_valid_nhs_number(_HEX.sub("", graph_text))

    path = default_path(settings.state_dir)
    raw = path.read_bytes()
    assert not [s for s in secrets if s.encode() in raw]
    import duckdb  # noqa: PLC0415

    con = duckdb.connect(str(path), read_only=True)
    cells = json.dumps(
        [con.execute(f"SELECT * FROM {t}").fetchall() for t in ("evidence", "trained_model")],
        default=str,
    )
    con.close()
    assert not [s for s in secrets if s in cells]
    assert not looks_like_valid_nhs_number(_HEX.sub("", cells))


def test_model_that_cannot_be_fitted_falls_back_to_deterministic(
    clean_graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    data = json.loads(DEFAULT_MODEL.read_text())
    data["training"]["em"] = [{"blocking_rule": "l.no_such_column = r.no_such_column"}]
    broken = tmp_path / "broken-em.json"
    broken.write_text(json.dumps(data))
    a, b, _ = population(settings)
    load(clean_graph, settings, a + b)
    summary = run_linkage(clean_graph, settings, model_path=broken)

    assert summary.mode == "deterministic only" and summary.links_created == 0
    assert "Splink could not fit the model" in summary.warnings[0]
    cl = clusters(clean_graph)
    assert len(cl) == len({t.ev.person_ref["pseudo_id"] for t in a + b})
    assert all(k == v for k, v in cl.items())
    # once the model can be trained, the same evidence is linked
    assert run_linkage(clean_graph, settings).links_created > 100
