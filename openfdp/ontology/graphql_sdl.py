"""GraphQL SDL generated from the ontology: the contract the API builds its schema from.

- one ``type`` per concrete class and one ``interface`` per abstract class (subclasses
  implement it), carrying ``@node(labels: [...], key: [...])``;
- scalar fields named exactly like the graph properties (snake_case), non-null when the
  property is required; ``Date``, ``DateTime`` and ``LocalTime`` scalars;
- relationship fields in both directions: outgoing ``<rel_type lower>`` and incoming
  ``<rel_type lower>_incoming``, each with ``@relationship(type:, direction:)``; a field whose
  far end can be several classes returns a union;
- one ``enum`` per non-empty concept scheme (``RttStatusCode`` ...); a coded property keeps
  the code as a ``String`` and names its enum in its description (codes such as ``10`` are not
  GraphQL names, so enum values are ``C_10`` with the code in ``@code(value:)``).

No ``Query`` type: the API adds its root fields on top.
"""

from __future__ import annotations

import re

from openfdp.ontology.errors import OntologyError
from openfdp.ontology.model import ConceptScheme, NodeType, Ontology, PropertySpec

SCALARS = {
    "string": "String",
    "integer": "Int",
    "float": "Float",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "DateTime",
    "time": "LocalTime",
}

PRELUDE = '''"""A calendar date, ISO 8601 (YYYY-MM-DD)."""
scalar Date

"""A UTC timestamp, ISO 8601."""
scalar DateTime

"""A local time of day, ISO 8601 (HH:MM[:SS])."""
scalar LocalTime

"""Direction of a relationship field, seen from the type that holds the field."""
enum RelationshipDirection {
  OUT
  IN
}

"""The Neo4j labels of a node type (own first, then superclasses) and its key properties."""
directive @node(labels: [String!]!, key: [String!]!) on OBJECT | INTERFACE

"""The Neo4j relationship a field follows."""
directive @relationship(type: String!, direction: RelationshipDirection!) on FIELD_DEFINITION

"""The code system a String field takes its values from."""
directive @codeList(name: String!) on FIELD_DEFINITION

"""The code an enum value stands for."""
directive @code(value: String!) on ENUM_VALUE
'''

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def _doc(text: str, indent: str = "") -> str:
    text = " ".join(text.split()).replace('"""', "'''")
    return f'{indent}"""{text}"""\n' if text else ""


def _str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_str(v) for v in values) + "]"


def enum_name(scheme: str) -> str:
    return "".join(part.capitalize() for part in scheme.split("_")) + "Code"


def enum_value(code: str) -> str:
    value = re.sub(r"[^0-9A-Za-z_]", "_", code)
    if not _NAME.match(value) or value in ("true", "false", "null"):
        value = f"C_{value}"
    return value


def _field_type(prop: PropertySpec) -> str:
    is_list = prop.datatype.endswith("_list")
    base = prop.datatype.removesuffix("_list")
    if base not in SCALARS:
        raise OntologyError(f"property {prop.name}: datatype {prop.datatype!r} has no GraphQL type")
    graphql = f"[{SCALARS[base]}!]" if is_list else SCALARS[base]
    return graphql + ("!" if prop.required else "")


def _scalar_field(prop: PropertySpec, nullable: bool = False) -> str:
    """``nullable``: interface fields are nullable (subclasses may re-key, e.g. Supplier)."""
    doc = prop.description
    directive = ""
    if prop.code_list:
        doc = f"{doc} Code from {prop.code_list} (enum {enum_name(prop.code_list)})."
        directive = f" @codeList(name: {_str(prop.code_list)})"
    field_type = _field_type(prop).rstrip("!") if nullable else _field_type(prop)
    return f"{_doc(doc, '  ')}  {prop.name}: {field_type}{directive}\n"


def _rel_fields(onto: Ontology, nt: NodeType, unions: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Field name -> SDL text of every relationship field of a node type."""
    fields: dict[str, str] = {}
    for rel_name in sorted(onto.rel_types):
        rel = onto.rel_types[rel_name]
        for direction, suffix in (("OUT", ""), ("IN", "_incoming")):
            here, there = (0, 1) if direction == "OUT" else (1, 0)
            targets = tuple(sorted({pair[there] for pair in rel.pairs if pair[here] in nt.labels}))
            if not targets:
                continue
            name = rel_name.lower() + suffix
            if len(targets) == 1:
                target = targets[0]
            else:
                members = _concrete(onto, targets)
                target = f"{_pascal(name)}Target"
                if unions.get(target, members) != members:
                    target = f"{nt.name}{_pascal(name)}Target"
                unions[target] = members
            arrow = "->" if direction == "OUT" else "<-"
            doc = f"({nt.name}){arrow}[:{rel_name}]. {rel.description}"
            fields[name] = (
                f"{_doc(doc, '  ')}  {name}: [{target}!]! "
                f"@relationship(type: {_str(rel_name)}, direction: {direction})\n"
            )
    return fields


def _pascal(snake: str) -> str:
    return "".join(p.capitalize() for p in snake.split("_"))


def _concrete(onto: Ontology, names: tuple[str, ...]) -> tuple[str, ...]:
    """Union members must be object types: an abstract class stands for its subclasses."""
    out: list[str] = []
    for n in names:
        if onto.node_types[n].abstract:
            out.extend(s for s in onto.subtypes(n) if not onto.node_types[s].abstract)
        else:
            out.append(n)
    return tuple(sorted(set(out)))


def _type_block(onto: Ontology, nt: NodeType, unions: dict[str, tuple[str, ...]]) -> str:
    keyword = "interface" if nt.abstract else "type"
    implements = [s for s in nt.superclasses if onto.node_types[s].abstract]
    impl = f" implements {' & '.join(implements)}" if implements else ""
    node = f"@node(labels: {_list(nt.labels)}, key: {_list(nt.key)})"
    body = [_scalar_field(p, nullable=nt.abstract) for p in nt.properties.values()]
    rels = _rel_fields(onto, nt, unions)
    clash = sorted(set(rels) & set(nt.properties))
    if clash:
        raise OntologyError(f"class {nt.name}: relationship fields clash with properties {clash}")
    doc = nt.description + (f" Matches: {', '.join(nt.exact_match)}." if nt.exact_match else "")
    return (
        f"{_doc(doc)}{keyword} {nt.name}{impl} {node} {{\n{''.join(body + list(rels.values()))}}}\n"
    )


def _enum_block(scheme: ConceptScheme) -> str:
    values = []
    seen: set[str] = set()
    for code, label in scheme.codes.items():
        value = enum_value(code)
        if value in seen:
            raise OntologyError(
                f"code list {scheme.name}: codes map to the same enum value {value}"
            )
        seen.add(value)
        values.append(f"{_doc(label, '  ')}  {value} @code(value: {_str(code)})\n")
    doc = f"{scheme.label}. {scheme.description}"
    return f"{_doc(doc)}enum {enum_name(scheme.name)} {{\n{''.join(values)}}}\n"


def to_sdl(onto: Ontology) -> str:
    """The GraphQL SDL of the ontology (deterministic: same ontology, same text)."""
    unions: dict[str, tuple[str, ...]] = {}
    head = (
        f"# openfdp ontology {onto.version}: generated by `openfdp ontology export --format sdl`\n"
    )
    blocks = [head, PRELUDE]
    for name in sorted(onto.node_types):
        blocks.append(_type_block(onto, onto.node_types[name], unions))
    for name in sorted(unions):
        blocks.append(f"union {name} = {' | '.join(unions[name])}\n")
    for name in sorted(onto.schemes):
        if onto.schemes[name].codes:
            blocks.append(_enum_block(onto.schemes[name]))
    return "\n".join(blocks)
