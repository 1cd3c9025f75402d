"""Opt-outs can be withdrawn, and the exclusion lifts at the next load (National Data
Opt-out operational policy guidance: a patient can change their choice at any time, and
organisations apply the current list of opt-outs from the opt-out service, not an old
one). An opt-out extract is the complete current list: a person marked by an earlier
extract and absent from the next is unmarked, as is a person listed with withdrawn = Y.
Fail closed: a quarantined opt-out row stops lifting by absence in that load."""

from __future__ import annotations

from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.pipeline import LoadSummary
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.ontology import Ontology, load_ontology
from openfdp.settings import Settings
from openfdp.store.schema import apply_ontology
from tests.conftest import make_test_settings

pytestmark = pytest.mark.integration


def nhs_number(base: str) -> str:
    """``base`` (9 digits) with its Modulus 11 check digit (bases chosen so it is not 10)."""
    total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    assert check != 10
    return base + str(0 if check == 11 else check)


A, B = nhs_number("943476591"), nhs_number("401023213")


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture()
def cfg(tmp_path: Path) -> Settings:
    return make_test_settings(state_dir=tmp_path / "state")


@pytest.fixture()
def graph(clean_graph: Driver, ontology: Ontology) -> Driver:
    apply_ontology(clean_graph, ontology)
    return clean_graph


def _extract(folder: Path, rows: list[str], header: str = "nhs_number") -> Path:
    folder.mkdir(parents=True)
    path = folder / "opt_outs.csv"
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return folder


def _load(graph: Driver, cfg: Settings, ontology: Ontology, folder: Path) -> LoadSummary:
    return load_feed(
        "csv", [folder], cfg=cfg, driver=graph, ontology=ontology, quarantine_dir=folder / "q"
    )


def _opted_out(graph: Driver, cfg: Settings, number: str) -> bool:
    pseudo = Pseudonymiser(
        key=cfg.privacy.hmac_key.get_secret_value().encode(), domain=cfg.privacy.domain
    )
    records = graph.execute_query(
        "MATCH (p:PseudonymisedPerson {pseudo_id: $pid}) RETURN p.ndoo_opt_out AS o",
        pid=pseudo.person_id(nhs_number=number),
    ).records
    assert len(records) == 1
    return bool(records[0]["o"])


def test_a_later_extract_without_the_person_lifts_the_opt_out(
    graph: Driver, cfg: Settings, ontology: Ontology, tmp_path: Path
) -> None:
    _load(graph, cfg, ontology, _extract(tmp_path / "week1", [A, B]))
    assert _opted_out(graph, cfg, A) and _opted_out(graph, cfg, B)
    summary = _load(graph, cfg, ontology, _extract(tmp_path / "week2", [A]))
    assert _opted_out(graph, cfg, A)
    assert not _opted_out(graph, cfg, B)
    assert summary.opt_outs_lifted == 1
    again = _load(graph, cfg, ontology, _extract(tmp_path / "week2-again", [A]))
    assert again.opt_outs_lifted == 0


def test_an_explicit_withdrawal_row_lifts_the_opt_out(
    graph: Driver, cfg: Settings, ontology: Ontology, tmp_path: Path
) -> None:
    _load(graph, cfg, ontology, _extract(tmp_path / "week1", [A, B]))
    rows = [f"{A},N", f"{B},Y"]
    _load(graph, cfg, ontology, _extract(tmp_path / "week2", rows, "nhs_number,withdrawn"))
    assert _opted_out(graph, cfg, A)
    assert not _opted_out(graph, cfg, B)


def test_a_quarantined_opt_out_row_lifts_nobody_by_absence(
    graph: Driver, cfg: Settings, ontology: Ontology, tmp_path: Path
) -> None:
    _load(graph, cfg, ontology, _extract(tmp_path / "week1", [A, B]))
    summary = _load(graph, cfg, ontology, _extract(tmp_path / "week2", [A, "12345"]))
    assert summary.quarantined == 1
    assert summary.opt_outs_lifted is None
    assert _opted_out(graph, cfg, B)  # B may be the unreadable row: still excluded
