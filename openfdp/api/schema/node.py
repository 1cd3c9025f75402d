"""Global ids: the ``Node`` interface and the form of its ids (``node(id:)`` in query.py).

A global id names one object of any type, so a client can cache by it and fetch the object
again with ``node(id:)``. Forms (docs/api.md, "Global ids"): ``Organisation:<ods_code>``,
``Supplier:<supplier_id>``, ``Person:<pseudo_id>``, and a pathway's own id
``<ppid_issuer_ods>:<ppid>`` (unchanged; an ODS code is never one of the type names).
Fetching by global id applies the same access rules as the type's own root field.
"""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from openfdp.api.errors import BadRequest

PREFIXED = ("Organisation", "Supplier", "Person")


def global_id(root: Any) -> strawberry.ID:
    return strawberry.ID(f"{type(root).__name__}:{getattr(root, root.node_key)}")


@strawberry.interface(description="An object with a global id; fetch it again with node(id:).")
class Node:
    node_key: ClassVar[str] = ""  # the attribute holding the type's own key
    id: strawberry.ID = strawberry.field(
        resolver=global_id, description="Global id, unique across types (pass it to node(id:))."
    )


def parse_global_id(value: str) -> tuple[str, str]:
    """(type name, key) of a global id; `BadRequest` for anything else."""
    kind, sep, key = value.partition(":")
    if not sep or not kind or not key:
        raise BadRequest(
            f"{value!r} is not a global id (Organisation:<ods>, Supplier:<id>, Person:<pseudo id> "
            "or a pathway's <ppid_issuer_ods>:<ppid>)"
        )
    return (kind, key) if kind in PREFIXED else ("Pathway", value)
