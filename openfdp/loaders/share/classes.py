"""Data classes and purposes named in agreements and products (docs/federation.md).

A data class is a set of ontology classes; reference data (organisations, code lists) travels
with any product as the records point at it, and persons travel with the classes that have
record subjects. Person properties are an allow-list: nothing keyed in the sender's
pseudonymisation domain leaves the sender.
"""

from __future__ import annotations

from collections.abc import Iterable

DATA_CLASSES: dict[str, tuple[str, ...]] = {
    "rtt_pathways": ("Referral", "RTTPathway", "RTTStatusEvent", "RTTPeriod", "WaitingListEntry"),
    "appointments": ("Appointment", "Encounter", "Procedure", "Diagnosis"),
    "theatre_sessions": ("Theatre", "TheatreSession", "TheatreBooking"),
    "beds": ("Ward", "Bed"),
    "staff": ("StaffMember", "Role", "Shift"),
}
#: data classes whose records have a person as their subject
WITH_PERSONS = frozenset({"rtt_pathways", "appointments"})
PURPOSES = ("direct_care", "planning", "research")
PERSON = "PseudonymisedPerson"
#: the person properties a product may carry (pseudo_id, domain and cluster_id never)
PERSON_FIELDS = (
    "year_of_birth",
    "sex_code",
    "area_code",
    "nhs_number_verified",
    "nhs_number_placeholder",
    "ndoo_opt_out",
)
#: reference nodes a record may point at; they travel with any product
REFERENCE = frozenset(
    {"CodedConcept", "Organisation", "NHSTrust", "Site", "ICB", "SubICBLocation", "PCN",
     "GPPractice"}
)  # fmt: skip
#: relationships that never travel: provenance is rebuilt, linkage is the receiver's own
NOT_SHARED = frozenset({"DERIVED_FROM", "IN_BATCH", "SAME_PERSON_AS", "MERGED_INTO", "CANDIDATE"})


def unknown_classes(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(DATA_CLASSES))


def unknown_purposes(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(PURPOSES))


def labels_for(classes: Iterable[str]) -> list[str]:
    """The record labels of some data classes, in a stable order."""
    return [label for c in sorted(set(classes)) for label in DATA_CLASSES[c]]


def allowed_labels(classes: Iterable[str]) -> frozenset[str]:
    """Every label a product of these classes may hold (records, reference data, persons)."""
    chosen = set(classes)
    persons = {PERSON} if chosen & WITH_PERSONS else set()
    return frozenset(labels_for(chosen)) | REFERENCE | persons
