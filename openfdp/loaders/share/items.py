"""The items of a data product: a node with its outgoing relationships, in product terms.

A record or reference node keeps its ontology key; a person is keyed by its shared reference
(:mod:`openfdp.loaders.share.identity`) and keeps only the allowed properties. Relationships
travel only to nodes the product may hold, of the sender or of no provider. An item's id is
its label and canonical key; its hash is what the export ledger compares.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from openfdp.loaders.share.classes import PERSON, PERSON_FIELDS, REFERENCE
from openfdp.loaders.share.codec import canonical, digest, encode_props
from openfdp.ontology.model import Ontology

Item = dict[str, Any]


def item_id(label: str, key: dict[str, Any]) -> str:
    return f"{label}|{canonical(key).decode()}"


def parse_item_id(item: str) -> tuple[str, dict[str, Any]]:
    label, _, key = item.partition("|")
    return label, dict(json.loads(key))


class ItemBuilder:
    """Turns graph rows into product items for one sender and a set of allowed labels."""

    def __init__(self, ontology: Ontology, sender_ods: str, allowed: Iterable[str]) -> None:
        self._onto = ontology
        self._sender = sender_ods
        self._allowed = frozenset(allowed)
        self._class_of: dict[frozenset[str], str | None] = {}
        #: reference nodes the items point at: item id -> item
        self.references: dict[str, Item] = {}

    def class_of(self, labels: Iterable[str]) -> str | None:
        """The most specific concrete ontology class of a node with these labels."""
        have = frozenset(labels)
        if have not in self._class_of:
            best = None
            for name in have:
                nt = self._onto.node_types.get(name)
                if nt is None or nt.abstract or not set(nt.labels or (name,)) <= have:
                    continue
                if best is None or len(nt.labels) > len(self._onto.node_types[best].labels):
                    best = name
            self._class_of[have] = best
        return self._class_of[have]

    def key_of(self, label: str, props: dict[str, Any]) -> dict[str, Any]:
        return {k: props.get(k) for k in self._onto.node_types[label].key}

    def record(self, label: str, props: dict[str, Any], rels: list[dict[str, Any]]) -> Item:
        key = self.key_of(label, props)
        body = {k: v for k, v in props.items() if k not in key}
        return self._item(label, key, body, rels)

    def person(self, ref: str, props: dict[str, Any], rels: list[dict[str, Any]]) -> Item:
        body = {k: props[k] for k in PERSON_FIELDS if props.get(k) is not None}
        return self._item(PERSON, {"person_ref": ref}, body, rels)

    def _item(
        self, label: str, key: dict[str, Any], props: dict[str, Any], rels: list[dict[str, Any]]
    ) -> Item:
        out = []
        for r in rels:
            end = self.class_of(r["labels"])
            if end is None or end == PERSON or end not in self._allowed:
                continue
            if r["end"].get("provider_ods") not in (None, self._sender):
                continue
            end_key = encode_props(self.key_of(end, r["end"]))
            if end in REFERENCE:
                ref_id = item_id(end, end_key)
                if ref_id not in self.references:
                    self.references[ref_id] = self.record(end, r["end"], [])
            out.append(
                {"type": r["type"], "end_label": end, "end_key": end_key,
                 "props": encode_props(r["props"])}
            )  # fmt: skip
        out.sort(key=canonical)
        enc_key = encode_props(key)
        body = {"label": label, "key": enc_key, "props": encode_props(props), "rels": out}
        return {"item": item_id(label, enc_key), "hash": digest(body), **body}
