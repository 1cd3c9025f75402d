"""A small graph for API tests, written with Cypher exactly as docs/graph-model.md describes.

Two ICBs: QWO with trusts RR8 and RAE, QF7 with trust RHQ. Pseudonymised persons at each
trust (pseudo ids are hex digests of made-up labels, not of identifiers), some NDOO opted
out, each with an RTT pathway. A supplier, a contract and a processing agreement for the
public transparency views.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from neo4j import Driver

DOMAIN = "openfdp-test-ics"
ICS_TRUSTS = {"QWO": ("RR8", "RAE"), "QF7": ("RHQ",)}


def pseudo(label: str) -> str:
    return hashlib.sha256(f"test-person:{label}".encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    label: str
    provider: str
    opted_out: bool

    @property
    def pseudo_id(self) -> str:
        return pseudo(self.label)


# 10 at RR8 (2 opted out), 9 at RAE (1 opted out), 3 at RHQ
PERSONS = (
    [Person(f"rr8-{i}", "RR8", i < 2) for i in range(10)]
    + [Person(f"rae-{i}", "RAE", i < 1) for i in range(9)]
    + [Person(f"rhq-{i}", "RHQ", False) for i in range(3)]
)

ORGS = """
UNWIND $icbs AS icb
MERGE (i:ICB:Organisation {ods_code: icb.ods})
SET i.name = icb.name
WITH i, icb
UNWIND icb.trusts AS t
MERGE (n:NHSTrust:Organisation {ods_code: t})
SET n.name = 'Test trust ' + t
MERGE (n)-[:IN_ICB_GEOGRAPHY]->(i)
"""

PEOPLE = """
UNWIND $persons AS p
MERGE (x:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: p.pseudo_id})
SET x.year_of_birth = 1970, x.sex_code = '2', x.ndoo_opt_out = p.opted_out,
    x.cluster_id = p.pseudo_id, x.nhs_number_verified = true
MERGE (w:RTTPathway {ppid_issuer_ods: p.provider, ppid: 'PPID-' + p.label})
SET w.provider_ods = p.provider, w.treatment_function_code = '110',
    w.pathway_status = 'open', w.referral_request_received_date = date('2026-01-05')
MERGE (x)-[:SUBJECT_OF]->(w)
WITH w, p
MATCH (t:NHSTrust {ods_code: p.provider})
MERGE (w)-[:ISSUED_BY]->(t)
"""

SUPPLIERS = """
MERGE (s:Supplier:Organisation {supplier_id: 'SUP-1'})
SET s.name = 'Example Analytics Ltd', s.companies_house_number = '00000000'
MERGE (c:Contract {ocid: 'ocds-test-0001'})
SET c.title = 'Data platform', c.value_amount = 1000000.0, c.currency = 'GBP',
    c.start_date = date('2025-04-01'), c.end_date = date('2028-03-31')
MERGE (c)-[:AWARDED_TO]->(s)
WITH s, c
MATCH (t:NHSTrust {ods_code: 'RR8'})
MERGE (t)-[:BUYER_OF]->(c)
MERGE (d:DataProcessingAgreement {dpa_id: 'DPA-1'})
SET d.purposes = ['direct_care'], d.data_categories = ['pseudonymised_pathways'],
    d.effective_from = date('2025-04-01')
MERGE (d)-[:CONTROLLER]->(t)
MERGE (d)-[:PROCESSOR]->(s)
MERGE (d)-[:UNDER]->(c)
"""


def load_test_graph(driver: Driver) -> None:
    icbs = [{"ods": k, "name": f"Test ICB {k}", "trusts": list(v)} for k, v in ICS_TRUSTS.items()]
    persons = [
        {
            "pseudo_id": p.pseudo_id,
            "label": p.label,
            "provider": p.provider,
            "opted_out": p.opted_out,
        }
        for p in PERSONS
    ]
    driver.execute_query(ORGS, icbs=icbs)
    driver.execute_query(PEOPLE, persons=persons, domain=DOMAIN)
    driver.execute_query(SUPPLIERS)
