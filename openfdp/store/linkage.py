"""Cypher for linkage outcomes: cluster ids, SAME_PERSON_AS evidence and review tasks.

Only outcomes reach the graph: pseudo_ids, probabilities, weights, the model version and
the names of the comparisons that agreed. No identifying value is ever a parameter here.
``SAME_PERSON_AS`` always points from the lower pseudo_id to the higher one, so a pair has
one relationship whichever side a run saw first; a cluster's id is its lowest pseudo_id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from neo4j import Driver, EagerResult, Query, RoutingControl
from openfdp.store.errors import StoreError


class LinkageError(StoreError):
    """Linkage could not do what was asked (bad model file, unknown review task, ...)."""


ENSURE_CLUSTER_IDS = """
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain})
WHERE p.cluster_id IS NULL
SET p.cluster_id = p.pseudo_id
"""

EXISTING_PERSONS = """
UNWIND $ids AS id
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: id})
RETURN p.pseudo_id AS pseudo_id
"""

ALL_LINKS = """
MATCH (a:PseudonymisedPerson {pseudonymisation_domain: $domain})-[:SAME_PERSON_AS]->
      (b:PseudonymisedPerson {pseudonymisation_domain: $domain})
RETURN a.pseudo_id AS a, b.pseudo_id AS b
"""

CLUSTER_IDS = """
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain})
WHERE p.cluster_id <> p.pseudo_id
RETURN p.pseudo_id AS pseudo_id, p.cluster_id AS cluster_id
"""

TASK_STATUSES = """
UNWIND $ids AS id
MATCH (t:LinkReviewTask {task_id: id})
RETURN t.task_id AS task_id, t.status AS status
"""

MERGE_LINKS = """
UNWIND $rows AS row
MATCH (a:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.a})
MATCH (b:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.b})
MERGE (a)-[r:SAME_PERSON_AS]->(b)
ON CREATE SET r.match_probability = row.match_probability, r.match_weight = row.match_weight,
              r.model_version = row.model_version, r.agreed = row.agreed,
              r.created_at = datetime()
"""

MERGE_REVIEW_TASKS = """
UNWIND $rows AS row
MATCH (a:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.a})
MATCH (b:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.b})
MERGE (t:LinkReviewTask {task_id: row.task_id})
ON CREATE SET t.match_probability = row.match_probability, t.match_weight = row.match_weight,
              t.model_version = row.model_version, t.agreed = row.agreed,
              t.status = 'open', t.created_at = datetime()
MERGE (t)-[:CANDIDATE]->(a)
MERGE (t)-[:CANDIDATE]->(b)
"""

SET_CLUSTER_IDS = """
UNWIND $rows AS row
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.pseudo_id})
WHERE p.cluster_id IS NULL OR p.cluster_id <> row.cluster_id
SET p.cluster_id = row.cluster_id
"""

STATUS_PERSONS = """
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain})
WITH coalesce(p.cluster_id, p.pseudo_id) AS cid, count(*) AS size,
     count(CASE WHEN p.nhs_number_verified THEN 1 END) AS verified
RETURN sum(size) AS persons, sum(verified) AS verified, count(cid) AS clusters,
       count(CASE WHEN size > 1 THEN 1 END) AS linked_clusters
"""

STATUS_LINKS = """
MATCH (:PseudonymisedPerson {pseudonymisation_domain: $domain})-[r:SAME_PERSON_AS]->()
RETURN count(r) AS links
"""

STATUS_TASKS = """
MATCH (t:LinkReviewTask)
RETURN count(CASE WHEN t.status = 'open' THEN 1 END) AS open_tasks,
       count(CASE WHEN t.status = 'accepted' THEN 1 END) AS accepted_tasks,
       count(CASE WHEN t.status = 'rejected' THEN 1 END) AS rejected_tasks
"""

REVIEW_LABELS = """
MATCH (t:LinkReviewTask)
WHERE t.status IN ['accepted', 'rejected']
RETURN count(t) AS decided, count(CASE WHEN t.status = 'accepted' THEN 1 END) AS accepted,
       sum(t.match_probability) AS expected_accepted
"""

PERSON = """
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: $pseudo_id})
OPTIONAL MATCH (m:PseudonymisedPerson {pseudonymisation_domain: $domain})
WHERE m.cluster_id = p.cluster_id AND m <> p
WITH p, collect(m.pseudo_id) AS members
OPTIONAL MATCH (p)-[r:SAME_PERSON_AS]-(o:PseudonymisedPerson)
WITH p, members, collect(CASE WHEN r IS NULL THEN null ELSE {
  other: o.pseudo_id, match_probability: r.match_probability, match_weight: r.match_weight,
  model_version: r.model_version, agreed: r.agreed, decided_by: r.decided_by} END) AS links
OPTIONAL MATCH (t:LinkReviewTask)-[:CANDIDATE]->(p)
OPTIONAL MATCH (t)-[:CANDIDATE]->(o2:PseudonymisedPerson) WHERE o2 <> p
RETURN p.pseudo_id AS pseudo_id, p.cluster_id AS cluster_id,
       p.nhs_number_verified AS nhs_number_verified, p.year_of_birth AS year_of_birth,
       p.sex_code AS sex_code, p.area_code AS area_code, members, links,
       collect(CASE WHEN t IS NULL THEN null ELSE {
         task_id: t.task_id, status: t.status, other: o2.pseudo_id,
         match_probability: t.match_probability} END) AS tasks
"""

LIST_TASKS = """
MATCH (t:LinkReviewTask)
WHERE $status IS NULL OR t.status = $status
MATCH (t)-[:CANDIDATE]->(p:PseudonymisedPerson)
WITH t, p ORDER BY p.pseudo_id
WITH t, collect(p.pseudo_id) AS persons
RETURN t.task_id AS task_id, t.status AS status, t.match_probability AS match_probability,
       t.match_weight AS match_weight, t.model_version AS model_version, t.agreed AS agreed,
       t.decided_by AS decided_by, toString(t.decided_at) AS decided_at, persons
ORDER BY t.match_probability DESC, t.task_id
LIMIT $limit
"""

REJECT_TASK = """
MATCH (t:LinkReviewTask {task_id: $task_id})
WHERE t.status = 'open'
SET t.status = 'rejected', t.decided_by = $by, t.decided_at = datetime()
RETURN t.task_id AS task_id
"""

ACCEPT_TASK = """
MATCH (t:LinkReviewTask {task_id: $task_id})
WHERE t.status = 'open'
MATCH (t)-[:CANDIDATE]->(p:PseudonymisedPerson)
WITH t, p ORDER BY p.pseudo_id
WITH t, collect(p) AS ps
WITH t, ps[0] AS a, ps[1] AS b
SET t.status = 'accepted', t.decided_by = $by, t.decided_at = datetime()
MERGE (a)-[r:SAME_PERSON_AS]->(b)
ON CREATE SET r.match_probability = t.match_probability, r.match_weight = t.match_weight,
              r.model_version = t.model_version, r.agreed = t.agreed,
              r.decided_by = $by, r.created_at = datetime()
WITH a, b, [coalesce(a.cluster_id, a.pseudo_id), coalesce(b.cluster_id, b.pseudo_id)] AS cids
WITH a, cids, CASE WHEN cids[0] < cids[1] THEN cids[0] ELSE cids[1] END AS merged
MATCH (m:PseudonymisedPerson {pseudonymisation_domain: a.pseudonymisation_domain})
WHERE coalesce(m.cluster_id, m.pseudo_id) IN cids
SET m.cluster_id = merged
RETURN merged AS cluster_id, count(m) AS members
"""

MERGE_PERSONS = """
UNWIND $rows AS row
MERGE (p:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: row.pseudo_id})
SET p += row.props
"""

TASK_EXISTS = "MATCH (t:LinkReviewTask {task_id: $task_id}) RETURN t.status AS status"


def task_id(a: str, b: str) -> str:
    """The review task of a pair of persons (order does not matter)."""
    lo, hi = sorted((a, b))
    return hashlib.sha256(f"{lo}|{hi}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LinkGraph:
    """The driver and database linkage writes to, with the metadata every transaction carries."""

    driver: Driver
    database: str
    job: str = "link"

    def run(self, text: LiteralString, read: bool = False, **params: Any) -> EagerResult:
        query = Query(text, metadata={"job": self.job, "source": "linkage"})
        return self.driver.execute_query(
            query,
            params,
            database_=self.database,
            routing_=RoutingControl.READ if read else RoutingControl.WRITE,
        )

    def merge_persons(self, domain: str, rows: list[dict[str, Any]]) -> int:
        """PseudonymisedPerson nodes as a loader writes them (``{pseudo_id, props}`` rows)."""
        return self.run(MERGE_PERSONS, domain=domain, rows=rows).summary.counters.nodes_created

    def ensure_cluster_ids(self, domain: str) -> int:
        return self.run(ENSURE_CLUSTER_IDS, domain=domain).summary.counters.properties_set

    def existing_persons(self, domain: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 10_000):
            res = self.run(EXISTING_PERSONS, read=True, domain=domain, ids=ids[i : i + 10_000])
            found.update(str(r["pseudo_id"]) for r in res.records)
        return found

    def links(self, domain: str) -> list[tuple[str, str]]:
        return [
            (str(r["a"]), str(r["b"]))
            for r in self.run(ALL_LINKS, read=True, domain=domain).records
        ]

    def cluster_ids(self, domain: str) -> dict[str, str]:
        """Persons whose cluster_id is not their own pseudo_id."""
        res = self.run(CLUSTER_IDS, read=True, domain=domain)
        return {str(r["pseudo_id"]): str(r["cluster_id"]) for r in res.records}

    def task_statuses(self, ids: list[str]) -> dict[str, str]:
        res = self.run(TASK_STATUSES, read=True, ids=ids)
        return {str(r["task_id"]): str(r["status"]) for r in res.records}

    def _in_chunks(
        self,
        query: LiteralString,
        domain: str,
        rows: Sequence[Mapping[str, Any]],
        size: int,
        counter: str,
    ) -> int:
        """Run `query` over `rows` in chunks of `size`; the sum of one summary counter."""
        total = 0
        for i in range(0, len(rows), size):
            res = self.run(query, domain=domain, rows=list(rows[i : i + size]))
            total += int(getattr(res.summary.counters, counter))
        return total

    def merge_links(self, domain: str, rows: list[dict[str, Any]]) -> int:
        return self._in_chunks(MERGE_LINKS, domain, rows, 5_000, "relationships_created")

    def merge_review_tasks(self, domain: str, rows: list[dict[str, Any]]) -> int:
        return self._in_chunks(MERGE_REVIEW_TASKS, domain, rows, 5_000, "nodes_created")

    def set_cluster_ids(self, domain: str, rows: list[dict[str, str]]) -> int:
        return self._in_chunks(SET_CLUSTER_IDS, domain, rows, 10_000, "properties_set")

    def status(self, domain: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for text in (STATUS_PERSONS, STATUS_LINKS, STATUS_TASKS):
            rec = self.run(text, read=True, domain=domain).records[0]
            out.update({k: int(rec[k] or 0) for k in rec.keys()})  # noqa: SIM118 - a Record
        return out

    def review_labels(self) -> dict[str, float]:
        """Decided review tasks: how many, how many accepted, and the sum of their probabilities."""
        rec = self.run(REVIEW_LABELS, read=True).records[0]
        return {k: float(rec[k] or 0) for k in ("decided", "accepted", "expected_accepted")}

    def person(self, domain: str, pseudo_id: str) -> dict[str, Any] | None:
        res = self.run(PERSON, read=True, domain=domain, pseudo_id=pseudo_id)
        return dict(res.records[0]) if res.records else None

    def list_tasks(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        res = self.run(LIST_TASKS, read=True, status=status, limit=limit)
        return [dict(r) for r in res.records]

    def decide(self, task: str, *, accept: bool, by: str) -> dict[str, Any]:
        """Accept (link the pair and merge their clusters) or reject an open review task."""
        res = self.run(ACCEPT_TASK if accept else REJECT_TASK, task_id=task, by=by)
        if res.records:
            return dict(res.records[0])
        found = self.run(TASK_EXISTS, read=True, task_id=task).records
        if not found:
            raise LinkageError(f"no review task {task!r}")
        raise LinkageError(f"review task {task} is already {found[0]['status']}")
