"""The compiled ontology as plain JSON-able data, and its content hash (the version)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from openfdp.ontology.model import NodeType, Ontology, PropertySpec, RelType


def _prop(p: PropertySpec) -> dict[str, Any]:
    return {
        "name": p.name,
        "datatype": p.datatype,
        "required": p.required,
        "is_key": p.is_key,
        "code_list": p.code_list,
        "pattern": p.pattern,
        "indexed": p.indexed,
        "dd_name": p.dd_name,
        "description": p.description,
    }


def _node(nt: NodeType) -> dict[str, Any]:
    return {
        "name": nt.name,
        "labels": list(nt.labels),
        "key": list(nt.key),
        "abstract": nt.abstract,
        "label": nt.label_text,
        "description": nt.description,
        "module": nt.module,
        "iri": nt.iri,
        "exact_match": list(nt.exact_match),
        "close_match": list(nt.close_match),
        "dd_name": nt.dd_name,
        "properties": [_prop(p) for p in nt.properties.values()],
    }


def _rel(rt: RelType) -> dict[str, Any]:
    return {
        "name": rt.name,
        "pairs": [list(p) for p in rt.pairs],
        "properties": [_prop(p) for p in rt.properties.values()],
        "description": rt.description,
        "module": rt.module,
        "iri": rt.iri,
    }


def to_dict(onto: Ontology) -> dict[str, Any]:
    """Everything in the compiled model, in a stable order."""
    return {
        "iri": onto.iri,
        "version": onto.version,
        "version_info": onto.version_info,
        "node_types": [_node(onto.node_types[n]) for n in sorted(onto.node_types)],
        "rel_types": [_rel(onto.rel_types[n]) for n in sorted(onto.rel_types)],
        "concept_schemes": [
            {
                "name": s.name,
                "label": s.label,
                "description": s.description,
                "module": s.module,
                "codes": [
                    {"code": c, "display": d, "definition": s.definitions.get(c)}
                    for c, d in s.codes.items()
                ],
            }
            for s in (onto.schemes[n] for n in sorted(onto.schemes))
        ],
    }


def to_json(onto: Ontology) -> str:
    return json.dumps(to_dict(onto), indent=2, ensure_ascii=False) + "\n"


def content_hash(onto: Ontology) -> str:
    """A 16-hex-digit SHA-256 over the compiled content (version field excluded).

    Formatting, comments and file layout do not change it; any change to a name, key,
    datatype, relationship, code or description does.
    """
    data = to_dict(onto)
    data.pop("version")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
