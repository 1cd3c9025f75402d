"""FHIR XML -> the JSON-shaped dicts the FHIR mappers read (parsed safely with defusedxml).

The conversion follows the FHIR XML rules closely enough for mapping: an element with a
``value`` attribute is a primitive (its value as a string); other elements become dicts of
their children; an element name that repeats becomes a list (a single occurrence stays a
single dict, which the mappers accept as well); ``url`` and ``id`` attributes are kept; the
XHTML narrative is dropped; a resource inside ``<resource>`` or ``<contained>`` gets its
``resourceType`` from its element name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

FHIR_NS = "{http://hl7.org/fhir}"
_RESOURCE_HOLDERS = frozenset({"resource", "contained"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _convert(element: Element) -> Any:
    children = [c for c in element if isinstance(c.tag, str) and c.tag.startswith(FHIR_NS)]
    if "value" in element.attrib and not children:
        return element.attrib["value"]
    out: dict[str, Any] = {}
    for attr in ("url", "id"):
        if attr in element.attrib:
            out[attr] = element.attrib[attr]
    if "value" in element.attrib:
        out["value"] = element.attrib["value"]
    for child in children:
        name = _local(child.tag)
        if name == "extension" and "value" in out:
            continue  # extensions on primitives are not needed for mapping
        value = to_resource(child) if _local(element.tag) in _RESOURCE_HOLDERS else _convert(child)
        if name in out:
            existing = out[name]
            out[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[name] = value
    return out


def to_resource(element: Element) -> dict[str, Any]:
    """A FHIR resource element -> dict with resourceType (narrative dropped)."""
    converted = _convert(element)
    body = converted if isinstance(converted, dict) else {}
    if isinstance(body.get("text"), dict):
        del body["text"]
    return {"resourceType": _local(element.tag), **body}


def read_entries(path: Path) -> Iterator[tuple[int | None, str | None, Any]]:
    """(entry number or None for a lone resource, fullUrl, resource) of one FHIR XML file.

    Raises ``xml.etree.ElementTree.ParseError`` (or a defusedxml error) on bad XML.
    """
    root = ElementTree.parse(path).getroot()
    if root is None or not root.tag.startswith(FHIR_NS):
        raise ValueError("not a FHIR XML document")
    if _local(root.tag) != "Bundle":
        yield None, None, to_resource(root)
        return
    for number, entry in enumerate(e for e in root if _local(e.tag) == "entry"):
        full_url = next((c.attrib.get("value") for c in entry if _local(c.tag) == "fullUrl"), None)
        holder = next((c for c in entry if _local(c.tag) == "resource"), None)
        resource = next((to_resource(c) for c in holder), None) if holder is not None else None
        yield number, full_url, resource
