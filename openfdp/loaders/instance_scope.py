"""A trust instance loads only its own trust's records (docs/federation.md, "Instances").

A mapped record names its provider in the ``provider_ods`` of its nodes and in its identity
evidence. On a trust instance, a record whose provider is another trust becomes a
:class:`Rejection` (quarantined with its position and the reason; the load's counts still
reconcile); records that name no provider (reference data, opt-outs) pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from openfdp.loaders.errors import LoaderError
from openfdp.loaders.model import MappedRecord, Outcome, Rejection


def providers_of(rec: MappedRecord) -> set[str]:
    """Every provider ODS code the record names (nodes' provider_ods, identity evidence)."""
    found = {str(n.props["provider_ods"]).upper() for n in rec.nodes if n.props.get("provider_ods")}
    found |= {e.provider_ods.upper() for e in rec.identities if e.provider_ods}
    return found


def foreign_reason(provider: str, own_ods: str) -> str:
    return (
        f"provider {provider} is not this trust instance's ODS code ({own_ods}): "
        "a trust instance loads only its own trust's extracts"
    )


def only_own_trust(outcomes: Iterable[Outcome], own_ods: str) -> Iterator[Outcome]:
    """`outcomes`, with every record of another provider turned into a quarantined rejection."""
    own = own_ods.upper()
    for outcome in outcomes:
        if isinstance(outcome, MappedRecord):
            others = sorted(providers_of(outcome) - {own})
            if others:
                yield Rejection(
                    outcome.source, outcome.position, "provider_ods", foreign_reason(others[0], own)
                )
                continue
        yield outcome


def scoped(outcomes: Iterable[Outcome], role: str, ods: str | None) -> Iterator[Outcome]:
    """The outcomes an instance of `role` may load: a trust only its own, others all."""
    check_scope(role, ods)
    if role != "trust" or not ods:
        return iter(outcomes)
    return only_own_trust(outcomes, ods)


def check_scope(role: str, ods: str | None) -> None:
    """Refuse, before reading anything, a trust instance without an ODS code."""
    if role == "trust" and not ods:
        raise LoaderError("a trust instance needs its ODS code (OPENFDP_INSTANCE__ODS)")
