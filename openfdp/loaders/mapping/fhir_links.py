"""What the FHIR R4 mappers share: the source name, the rows a mapper returns, relationship
rows between mapped nodes and reference targets, required and optional references (an
unresolved one is a :class:`~openfdp.loaders.mapping.fhir_common.MappingError` naming the
field), the provider organisation of a record, and the ``CODED_AS`` concept of a code.
"""

from __future__ import annotations

from typing import Any

from openfdp.loaders.mapping.fhir_common import Code, MappingError, Target
from openfdp.loaders.mapping.fhir_index import RefIndex, resolve
from openfdp.loaders.model import IdentityEvidence, MapContext, NodeRow, RelRow

SOURCE = "fhir"
Rows = tuple[list[NodeRow], list[RelRow], list[IdentityEvidence]]


def rel_row(rel: str, start: NodeRow | Target, end: NodeRow | Target) -> RelRow:
    """The relationship ``rel`` from ``start`` to ``end``, by their labels and keys."""
    return RelRow(rel, start.label, start.key, end.label, end.key)


def required_ref(index: RefIndex, element: Any, rtype: str, field: str) -> Target:
    """The resolved target of a reference that must be there and be of type ``rtype``."""
    ref, target = resolve(index, element, rtype)
    if ref is None:
        raise MappingError(field, f"missing {rtype} reference")
    if target is None or target.resource_type != rtype:
        raise MappingError(field, f"unresolved {rtype} reference")
    return target


def optional_ref(index: RefIndex, element: Any, rtype: str, field: str) -> Target | None:
    """The resolved target of a reference when there is one (it must then resolve)."""
    ref, _ = resolve(index, element, rtype)
    return required_ref(index, element, rtype, field) if ref else None


def provider(
    index: RefIndex, ctx: MapContext, *targets: Target | None, person: Target | None = None
) -> str:
    """provider_ods: a real ODS code of the record's organisation, else ctx.source_ods, else
    the surrogate code of the record's organisation, else that of the patient's id issuer."""
    orgs: list[Target] = []
    for target in targets:
        if target is None:
            continue
        orgs.append(target)
        ref = target.extra.get("provider_ref")
        nested = index.get(ref) if isinstance(ref, str) else None
        if nested is not None:
            orgs.append(nested)
        loc = index.get(target.extra.get("location_ref"))
        if loc is not None:
            orgs.append(loc)
    for org in orgs:
        if org.provider_ods:
            return org.provider_ods
    if ctx.source_ods:
        return ctx.source_ods
    for org in [*orgs, *([person] if person else [])]:
        if org.fallback_ods:
            return org.fallback_ods
    raise MappingError(None, "no provider organisation can be determined")


def coded(node: NodeRow, code: Code | None) -> tuple[list[NodeRow], list[RelRow]]:
    """The CodedConcept of ``code`` and the CODED_AS relationship from ``node`` to it."""
    if code is None:
        return [], []
    concept = NodeRow("CodedConcept", {"system": code.system, "code": code.code})
    if code.display:
        concept = NodeRow(concept.label, concept.key, {"display": code.display})
    return [concept], [rel_row("CODED_AS", node, concept)]
