"""A Markdown class reference generated from the ontology (docs/ontology-reference.md)."""

from __future__ import annotations

from openfdp.ontology.model import NodeType, Ontology
from openfdp.ontology.vocab import curie


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _class_section(onto: Ontology, nt: NodeType) -> list[str]:
    title = f"### {nt.name}" + (" *(abstract)*" if nt.abstract else "")
    lines = [title, "", _cell(nt.description), ""]
    lines.append(f"- Labels: {', '.join(f'`{lb}`' for lb in nt.labels)}")
    lines.append(f"- Key: {', '.join(f'`{k}`' for k in nt.key) or '-'}")
    if nt.dd_name:
        lines.append(f"- NHS Data Dictionary: {nt.dd_name}")
    matches = [f"exact {curie(m)}" for m in nt.exact_match] + [
        f"close {curie(m)}" for m in nt.close_match
    ]
    if matches:
        lines.append(f"- Matches: {', '.join(matches)}")
    lines += [
        "",
        "| property | type | key | required | code list / pattern | description |",
        "|---|---|---|---|---|---|",
    ]
    for p in nt.properties.values():
        constraint = p.code_list or (f"`{p.pattern}`" if p.pattern else "")
        lines.append(
            f"| `{p.name}` | {p.datatype} | {'yes' if p.is_key else ''} "
            f"| {'yes' if p.required else ''} | {_cell(constraint)} | {_cell(p.description)} |"
        )
    rels = []
    for rel in sorted(onto.rel_types.values(), key=lambda r: r.name):
        for s, e in rel.pairs:
            if s == nt.name:
                rels.append(f"- `({s})-[:{rel.name}]->({e})`")
            elif e == nt.name:
                rels.append(f"- `({s})-[:{rel.name}]->({e})` (incoming)")
    if rels:
        lines += ["", "Relationships:", "", *rels]
    return [*lines, ""]


def to_markdown(onto: Ontology) -> str:
    modules = sorted({nt.module for nt in onto.node_types.values()})
    lines = [
        "# Ontology reference",
        "",
        f"Generated from `ontology/source/*.ttl` (version `{onto.version}`, "
        f"{onto.version_info}) by",
        "`openfdp ontology export --format reference --out docs/ontology-reference.md`.",
        "Do not edit by hand.",
        "",
        f"{len(onto.node_types)} classes, {len(onto.rel_types)} relationship types, "
        f"{len(onto.schemes)} code lists. See [ontology.md](ontology.md) for how to change them.",
        "",
        "![classes and relationships](ontology.svg)",
        "",
    ]
    for module in modules:
        lines += [f"## Module `{module}`", ""]
        for name in sorted(n for n, nt in onto.node_types.items() if nt.module == module):
            lines += _class_section(onto, onto.node_types[name])
    lines += [
        "## Relationship types",
        "",
        "| type | from -> to | edge properties | description |",
        "|---|---|---|---|",
    ]
    for rel in sorted(onto.rel_types.values(), key=lambda r: r.name):
        pairs = (
            "<br>".join(f"{s} -> {e}" for s, e in rel.pairs)
            if len(rel.pairs) <= 6
            else (f"{len(rel.pairs)} pairs, e.g. {rel.pairs[0][0]} -> {rel.pairs[0][1]}")
        )
        props = ", ".join(f"`{p}`" for p in rel.properties)
        lines.append(f"| `{rel.name}` | {pairs} | {props} | {_cell(rel.description)} |")
    lines += ["", "## Code lists", ""]
    for scheme in sorted(onto.schemes.values(), key=lambda s: s.name):
        lines += [
            f"### {scheme.name}",
            "",
            f"{_cell(scheme.label)}. {_cell(scheme.description)}",
            "",
        ]
        if scheme.codes:
            lines += ["| code | label |", "|---|---|"]
            lines += [f"| `{c}` | {_cell(d)} |" for c, d in scheme.codes.items()]
        else:
            lines.append("Open code system: concepts are loaded as they are met.")
        lines.append("")
    return "\n".join(lines)
