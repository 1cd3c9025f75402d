"""A FHIR transaction entry with ``request.method = DELETE`` -> the removal of the facts that
the deleted resource contributed (pure).

Source: FHIR R4 RESTful API, 3.1.0.11.2 "Transaction Processing Rules" (a transaction entry
whose ``request.method`` is DELETE deletes the resource named by ``request.url``; the server
processes the DELETE entries of a bundle first, then POST, then PUT/PATCH, then GET) and
3.1.0.7 "delete" (``DELETE [base]/[type]/[id]``; a conditional delete names a search instead).

The entry becomes a record of its own (``DELETE Type/id``, so the deletion keeps its
provenance) carrying a :class:`~openfdp.loaders.model.DeleteRecordFacts` amendment for the source
record ``fhir:Type/id`` that the resource was loaded as. Conditional deletes are rejected:
the graph holds pseudonymised facts, not the searchable resource.
"""

from __future__ import annotations

import re

from openfdp.loaders.mapping.fhir_common import safe_id
from openfdp.loaders.mapping.ods import canonical_hash
from openfdp.loaders.model import DeleteRecordFacts, MappedRecord, Outcome, Rejection, Skipped

SOURCE = "fhir"
_TYPE = re.compile(r"^[A-Z][A-Za-z]+$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR R4 id datatype


def map_delete(url: object, *, position: str, mapped_types: frozenset[str]) -> Outcome:
    """One DELETE entry -> MappedRecord (with the amendment) | Rejection | Skipped."""
    if not isinstance(url, str) or not url.strip():
        return Rejection(SOURCE, position, "request.url", "DELETE entry without a request.url")
    if "?" in url:
        return Rejection(
            SOURCE, position, "request.url", "conditional DELETE is not supported: name Type/id"
        )
    parts = url.strip().rstrip("/").split("/")
    if len(parts) < 2 or not _TYPE.match(parts[-2]) or not _ID.match(parts[-1]):
        return Rejection(SOURCE, position, "request.url", "DELETE request.url is not Type/id")
    rtype, rid = parts[-2], parts[-1]
    if rtype not in mapped_types:
        return Skipped(SOURCE, position, f"DELETE of resource type {rtype} not mapped")
    deleted = f"{rtype}/{safe_id(rid)}"
    return MappedRecord(
        SOURCE,
        position,
        f"DELETE {deleted}",
        canonical_hash({"method": "DELETE", "url": deleted}),
        amendments=[DeleteRecordFacts(f"{SOURCE}:{deleted}")],
    )
