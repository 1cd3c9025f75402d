"""One picture per ontology module (SVG): a card per class with its properties and outgoing
relationships, a card per shared property of ``core``, a card per code list.

Cards are laid out in columns (no crossing lines), so each module stays legible however
many relationships it has. ``python -m openfdp.ontology.module_picture docs/ontology`` writes
``docs/ontology/<module>.svg`` for every file in ``ontology/source``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from rdflib.namespace import OWL, RDF, RDFS

from openfdp.ontology.model import Ontology
from openfdp.ontology.modules import parse_files
from openfdp.ontology.picture import COLOURS
from openfdp.ontology.vocab import curie, local_name

CARD_W, LINE_H, HEAD_H, GAP, TOP, COLUMNS = 360, 16, 26, 18, 70, 4
WRAP = 50  # characters of a line that fit a card (12 px Helvetica)
MAX_LINES = 46  # a longer code list continues on the next card


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    lines: tuple[str, ...]
    italic: bool = False


def class_cards(onto: Ontology, module: str) -> list[Card]:
    cards = []
    for name, nt in sorted(onto.node_types.items()):
        if nt.module != module:
            continue
        title = name + (f" ⊂ {nt.superclasses[0]}" if nt.superclasses else "")
        lines = []
        for p in nt.properties.values():
            mark = "◆ " if p.name in nt.key else ("● " if p.required else "○ ")
            line = f"{mark}{p.name}: {p.datatype}"
            extra = f" [{p.code_list}]" if p.code_list else ""
            if len(line + extra) > WRAP:
                lines += [line, f"      {extra.strip()}"]
            else:
                lines.append(line + extra)
        for rel in sorted(onto.rel_types.values(), key=lambda r: r.name):
            for start, end in rel.pairs:
                if start == name and rel.name != "DERIVED_FROM":
                    lines.append(f"→ {rel.name} → {end}")
        cards.append(Card(title, tuple(lines), nt.abstract))
    return cards


def scheme_cards(onto: Ontology, module: str) -> list[Card]:
    cards = []
    for name, scheme in sorted(onto.schemes.items()):
        if scheme.module != module:
            continue
        codes = [_fit(f"{c}  {label}") for c, label in scheme.codes.items()]
        if not codes:
            codes = ["an external code system: codes are not listed"]
        chunks = [codes[i : i + MAX_LINES] for i in range(0, len(codes), MAX_LINES)] or [[]]
        for n, chunk in enumerate(chunks, 1):
            part = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
            count = f"{len(scheme.codes)} codes" if scheme.codes else "external"
            cards.append(Card(f"{name}{part}: {count}", tuple(chunk)))
    return cards


def _fit(line: str) -> str:
    return line if len(line) <= WRAP else line[: WRAP - 1].rstrip() + "…"


def core_cards(onto: Ontology, source_dir: Path, module: str) -> list[Card]:
    g = parse_files(source_dir)[f"{module}.ttl"]
    annotations = sorted(local_name(s) for s in g.subjects(RDF.type, OWL.AnnotationProperty))
    cards = [Card("annotation properties", tuple(f"ofdp:{a}" for a in annotations))]
    users: dict[str, list[str]] = {}
    for cls, nt in onto.node_types.items():
        for p in nt.properties:
            users.setdefault(p, []).append(cls)
    lines = []
    for prop in sorted(g.subjects(RDF.type, OWL.DatatypeProperty), key=local_name):
        name, rng = local_name(prop), curie(g.value(prop, RDFS.range))
        classes = sorted(users.get(name, []))
        lines.append(f"{name}: {rng}  ({len(classes)} classes)" if classes else f"{name}: {rng}")
    cards.append(Card("shared datatype properties", tuple(lines)))
    return cards


EXTERNAL = {
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://purl.org/dc/terms/": "dcterms:",
    "http://www.w3.org/ns/prov#": "prov:",
}


def declared_cards(source_dir: Path, module: str) -> list[Card]:
    """A module of declarations only (vocabulary.ttl): its terms by kind."""
    g = parse_files(source_dir)[f"{module}.ttl"]
    cards = []
    for kind, rdf_type in (
        ("classes", OWL.Class),
        ("annotation properties", OWL.AnnotationProperty),
        ("object properties", OWL.ObjectProperty),
    ):
        names = []
        for term in g.subjects(RDF.type, rdf_type):
            text = str(term)
            for ns, prefix in EXTERNAL.items():
                text = text.replace(ns, prefix)
            names.append(text)
        if names:
            cards.append(Card(kind, tuple(sorted(names))))
    return cards


def module_cards(onto: Ontology, source_dir: Path, module: str) -> list[Card]:
    if module == "core":
        return core_cards(onto, source_dir, module)
    return class_cards(onto, module) + scheme_cards(onto, module) or declared_cards(
        source_dir, module
    )


def _height(card: Card) -> float:
    return HEAD_H + LINE_H * max(len(card.lines), 1) + 8


def to_svg(onto: Ontology, source_dir: Path, module: str) -> str:
    cards = module_cards(onto, source_dir, module)
    ncols = min(COLUMNS, max(len(cards), 1))
    tops = [float(TOP)] * ncols
    placed = []
    for card in cards:  # masonry: each card goes to the shortest column
        col = tops.index(min(tops))
        placed.append((card, 20 + col * (CARD_W + GAP), tops[col]))
        tops[col] += _height(card) + GAP
    width, height = 20 + ncols * (CARD_W + GAP), max(tops) + 10
    fill = COLOURS.get(module, "#e6e6e6")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<text x="20" y="32" font-size="20" font-weight="bold">openfdp ontology module '
        f"{escape(module)} ({escape(onto.version_info)})</text>",
    ]
    if any(nt.module == module for nt in onto.node_types.values()):
        out.append(
            '<text x="20" y="54" font-size="12" fill="#444">◆ key  ● required  ○ optional  '
            "→ outgoing relationship (DERIVED_FROM to SourceRecord not listed)  "
            "⊂ subclass of; italic: abstract</text>"
        )
    for card, x, y in placed:
        h = _height(card)
        style = ' font-style="italic"' if card.italic else ""
        out += [
            f'<rect x="{x}" y="{y}" width="{CARD_W}" height="{h}" rx="6" fill="white" '
            f'stroke="#444"/>',
            f'<rect x="{x}" y="{y}" width="{CARD_W}" height="{HEAD_H}" rx="6" fill="{fill}" '
            f'stroke="#444"/>',
            f'<text x="{x + 8}" y="{y + 18}" font-size="14" font-weight="bold"{style}>'
            f"{escape(card.title)}</text>",
        ]
        for i, line in enumerate(card.lines):
            colour = "#1a4d80" if line.startswith("→") else "#222"
            out.append(
                f'<text x="{x + 8}" y="{y + HEAD_H + 13 + i * LINE_H}" font-size="12" '
                f'fill="{colour}">{escape(line)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_all(onto: Ontology, source_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_dir.glob("*.ttl")):
        target = out_dir / f"{path.stem}.svg"
        target.write_text(to_svg(onto, source_dir, path.stem), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # pragma: no cover - regeneration entry point
    from openfdp.ontology.compile import SOURCE_DIR, load_ontology

    for p in write_all(load_ontology(), SOURCE_DIR, Path(sys.argv[1])):
        print(p)
