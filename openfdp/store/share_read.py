"""Reading what a data product carries (openfdp/loaders/share/export.py): the records of some
labels of one provider with their outgoing relationships, and the persons they are about.

Labels are checked against the compiled ontology and backtick-quoted; values are ``$params``.
A record's ``date`` properties (as the ontology declares them) come back already tagged,
``{"$date": "2026-03-31"}`` as the product writes them, rather than as driver ``Date`` objects
the client would build and turn back into text: at 100,000 patients an export receives about
1.7 million dates, and hydrating them was the largest single cost on the client side.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from neo4j import READ_ACCESS, Driver
from openfdp.ontology.model import Ontology
from openfdp.store.writer import UnknownName, _q

_OUT = (
    "[(n)-[r]->(m) WHERE NOT type(r) IN $skip | "
    "{type: type(r), props: properties(r), labels: labels(m), end: properties(m)}] AS rels"
)
RECORDS = (
    "MATCH (n:$LABEL) WHERE n.provider_ods IS NULL OR n.provider_ods = $ods "
    "RETURN n{.*$DATES} AS props, " + _OUT
)
#: one date property, tagged on the server; a value that is not a date stays as it is
_DATE = "{p}: CASE WHEN n.{p} IS :: DATE NOT NULL THEN {{`$date`: toString(n.{p})}} ELSE n.{p} END"
PERSONS = (
    "MATCH (n:`PseudonymisedPerson` {`pseudonymisation_domain`: $domain}) "
    "WHERE n.ndoo_opt_out = true OR EXISTS { MATCH (n)-[:`SUBJECT_OF`]->(x) "
    "WHERE any(l IN labels(x) WHERE l IN $labels) "
    "AND (x.provider_ods IS NULL OR x.provider_ods = $ods) } "
    "RETURN properties(n) AS props, " + _OUT
)


def records(
    driver: Driver,
    ontology: Ontology,
    label: str,
    *,
    ods: str,
    skip: Iterable[str],
    database: str,
) -> Iterator[dict[str, Any]]:
    """Every node of ``label`` of provider ``ods`` (or with no provider), with its outgoing
    relationships (``type``, ``props``, end ``labels`` and end ``end`` properties)."""
    if label not in ontology.node_types:
        raise UnknownName(f"label {label!r} is not in the ontology")
    dates = sorted(p for p, spec in ontology.node_types[label].properties.items()
                   if spec.datatype == "date")  # fmt: skip
    tagged = "".join(", " + _DATE.format(p=_q(p)) for p in dates)
    text = RECORDS.replace("$LABEL", _q(label)).replace("$DATES", tagged)
    yield from _stream(driver, text, {"ods": ods, "skip": sorted(skip)}, database)


def persons(
    driver: Driver, *, domain: str, labels: Iterable[str], ods: str, skip: Iterable[str],
    database: str,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The persons of ``domain`` who are subjects of records of ``labels`` of provider ``ods``,
    and every opted-out person, with their outgoing relationships."""
    params = {"domain": domain, "labels": sorted(labels), "ods": ods, "skip": sorted(skip)}
    yield from _stream(driver, PERSONS, params, database)


def _stream(
    driver: Driver, text: str, params: dict[str, Any], database: str
) -> Iterator[dict[str, Any]]:
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        for rec in session.run(text, params):
            yield {"props": dict(rec["props"]), "rels": list(rec["rels"])}
