"""The record contract between readers/mappers, linkage and the writer.

A mapper turns one source record into either a :class:`MappedRecord` (nodes and
relationships in ontology terms, plus in-memory identity evidence for linkage) or a
:class:`Rejection` (quarantined with position and reason), or a :class:`Skipped`
(counted, with a stated reason, e.g. a FHIR resource type the ontology does not map).

Nothing here is ever written as-is: :class:`IdentityEvidence` holds raw quasi-identifiers
in memory only, inside the loader boundary, and is never logged or sent to Neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openfdp.loaders.privacy import Pseudonymiser

Props = dict[str, Any]


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node to MERGE: `label` is an ontology class name, `key` its key properties."""

    label: str
    key: Props
    props: Props = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelRow:
    """One relationship to MERGE between two nodes identified by label and key."""

    type: str
    start_label: str
    start_key: Props
    end_label: str
    end_key: Props
    props: Props = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdentityEvidence:
    """Raw identifiers of a person, in memory only (never written, never logged).

    `person_ref` is the key of the PseudonymisedPerson node the mapper emitted for this
    record (domain and pseudo_id), so linkage can attach its outcome to that node.
    """

    person_ref: Props
    provider_ods: str
    local_patient_id: str | None = None
    nhs_number: str | None = None  # verified (Modulus 11) or None
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None  # ISO date
    sex_code: str | None = None
    postcode: str | None = None
    # An NHS number that failed verification (Modulus 11) or is temporary; linkage compares
    # it fuzzily (typos) and never uses it as a key.
    unverified_nhs_number: str | None = None
    address_line: str | None = None  # first line of the address (house number and street)

    def __repr__(self) -> str:  # never print raw identifiers
        return (
            f"IdentityEvidence(person_ref={self.person_ref!r}, provider_ods={self.provider_ods!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class MergePersons:
    """The source merged person `prior` into `surviving` (keys of PseudonymisedPerson nodes):
    the prior identity's records move to the surviving one, which gains a MERGED_INTO link
    from the prior one naming the merging record (HL7 v2 ADT^A40)."""

    prior: Props
    surviving: Props
    merged_at: Any = None  # aware datetime, or None when the message does not say


@dataclass(frozen=True, slots=True)
class DeleteNode:
    """Remove a node the source cancelled, with the nodes it owns through `owned` relationship
    types (e.g. an encounter and its diagnoses after an HL7 v2 ADT^A11 cancel admit)."""

    label: str
    key: Props
    owned: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnsetProperties:
    """Remove properties an event set that the source cancelled (e.g. an encounter's end
    after an HL7 v2 ADT^A13 cancel discharge)."""

    label: str
    key: Props
    properties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeleteRecordFacts:
    """Remove the facts an earlier source record contributed (a FHIR transaction entry with
    ``request.method = DELETE``): nodes derived only from it are deleted with their
    relationships; nodes other records also derive from lose only the provenance link."""

    source_record_id: str


Amendment = MergePersons | DeleteNode | UnsetProperties | DeleteRecordFacts


@dataclass(frozen=True, slots=True)
class MappedRecord:
    source: str  # e.g. "csv:waiting_list", "fhir", "hl7", "ods:etr"
    position: str  # file and line/entry, e.g. "wl.csv:17" or "bundle.json#entry[4]"
    record_key: str  # stable key of the source record within its source
    content_hash: str  # sha256 of the canonical source record
    nodes: list[NodeRow] = field(default_factory=list)
    rels: list[RelRow] = field(default_factory=list)
    identities: list[IdentityEvidence] = field(default_factory=list)
    # changes to facts already loaded, applied in input order after this record is written
    amendments: list[Amendment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A quarantined record. `reason` and `field` never contain raw identifying values."""

    source: str
    position: str
    field: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    position: str
    reason: str


Outcome = MappedRecord | Rejection | Skipped


@dataclass(frozen=True)
class MapContext:
    """What every mapper needs besides the record: the pseudonymiser and the code lists.

    `code_lists` maps a concept scheme name (e.g. ``RTT_STATUS``, ``TFC``) to its codes and
    labels, taken from the compiled ontology. `source_ods` is the provider a feed belongs to
    when the records do not say (``openfdp load ... --source ODS``).
    """

    pseudonymiser: Pseudonymiser
    code_lists: dict[str, dict[str, str]] = field(default_factory=dict)
    source_ods: str | None = None
