"""A picture of the ontology: classes as boxes grouped by module, relationships as arrows.

Pure layout (columns per module, a few barycentre passes to reduce crossings) and an SVG
writer with no dependencies. ``DERIVED_FROM`` (from every loaded class) is noted, not drawn.
The CLI renders the same :class:`Layout` to PNG with matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from openfdp.ontology.model import Ontology

MODULE_ORDER = ("provenance", "person", "pathway", "organisation", "supplier", "resource")
COLOURS = {
    "organisation": "#d9ead3",
    "person": "#fce5cd",
    "pathway": "#cfe2f3",
    "resource": "#ead1dc",
    "supplier": "#fff2cc",
    "provenance": "#e6e6e6",
}
NOT_DRAWN = ("DERIVED_FROM",)
BOX_W, BOX_H, COL_W, ROW_H, TOP, LEFT = 180, 30, 340, 62, 90, 40


@dataclass(frozen=True, slots=True)
class Box:
    name: str
    module: str
    x: float
    y: float
    abstract: bool

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


@dataclass(frozen=True, slots=True)
class Edge:
    start: str
    end: str
    label: str
    subclass: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    boxes: dict[str, Box]
    edges: tuple[Edge, ...]
    width: float
    height: float
    title: str
    note: str


def layout(onto: Ontology) -> Layout:
    modules = [m for m in MODULE_ORDER if any(nt.module == m for nt in onto.node_types.values())]
    modules += sorted({nt.module for nt in onto.node_types.values()} - set(modules))
    columns = {m: sorted(n for n, nt in onto.node_types.items() if nt.module == m) for m in modules}
    grouped: dict[tuple[str, str], list[str]] = {}
    for rel in sorted(onto.rel_types.values(), key=lambda r: r.name):
        if rel.name in NOT_DRAWN:
            continue
        for pair in rel.pairs:
            grouped.setdefault(pair, []).append(rel.name)
    edges = [Edge(a, b, ", ".join(names)) for (a, b), names in sorted(grouped.items())]
    edges += [
        Edge(n, nt.superclasses[0], "", subclass=True)
        for n, nt in sorted(onto.node_types.items())
        if nt.superclasses
    ]
    neighbours: dict[str, list[str]] = {n: [] for n in onto.node_types}
    for edge in edges:
        neighbours[edge.start].append(edge.end)
        neighbours[edge.end].append(edge.start)
    for _ in range(4):  # barycentre ordering within each column
        pos = {n: float(i) for col in columns.values() for i, n in enumerate(col)}
        for m, col in list(columns.items()):
            centres = {n: _centre(n, col, pos, neighbours) for n in col}
            columns[m] = sorted(col, key=centres.__getitem__)
    boxes: dict[str, Box] = {}
    for ci, m in enumerate(modules):
        for ri, n in enumerate(columns[m]):
            boxes[n] = Box(n, m, LEFT + ci * COL_W, TOP + ri * ROW_H, onto.node_types[n].abstract)
    rows = max(len(c) for c in columns.values()) if columns else 0
    return Layout(
        boxes=boxes,
        edges=tuple(edges),
        width=LEFT * 2 + len(modules) * COL_W - (COL_W - BOX_W) + 60,
        height=TOP + rows * ROW_H + 40,
        title=f"openfdp ontology {onto.version_info} ({onto.version})",
        note="Every loaded node also has -[:DERIVED_FROM]->(SourceRecord) (not drawn). "
        "Dashed: subclass of. Italic: abstract.",
    )


def _centre(
    n: str, col: list[str], pos: dict[str, float], neighbours: dict[str, list[str]]
) -> float:
    others = [pos[o] for o in neighbours[n] if o not in col]
    return sum(others) / len(others) if others else pos[n]


def edge_points(lay: Layout, edge: Edge) -> tuple[float, float, float, float, float, float]:
    """Start point, end point and a control point for a quadratic curve."""
    a, b = lay.boxes[edge.start], lay.boxes[edge.end]
    if a.name == b.name:  # self loop on the right side
        x, y = a.x + BOX_W, a.cy
        return x, y - 8, x, y + 8, x + 60, y
    if abs(a.x - b.x) < 1:  # same column: bow out to the right
        x1, x2 = a.x + BOX_W, b.x + BOX_W
        return x1, a.cy, x2, b.cy, x1 + 30 + abs(a.cy - b.cy) / 12, (a.cy + b.cy) / 2
    if a.x < b.x:
        x1, x2 = a.x + BOX_W, b.x
    else:
        x1, x2 = a.x, b.x + BOX_W
    return x1, a.cy, x2, b.cy, (x1 + x2) / 2, (a.cy + b.cy) / 2


_DEFS = (
    "<defs>"
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
    "</marker>"
    '<marker id="triangle" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" '
    'markerHeight="10" orient="auto-start-reverse">'
    '<path d="M0,0 L10,5 L0,10 z" fill="white" stroke="#555"/></marker>'
    "</defs>"
)


def _text(x: float, y: float, text: str, size: float, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{escape(text)}</text>'


def _edge_svg(lay: Layout, e: Edge) -> tuple[str, str]:
    x1, y1, x2, y2, cx, cy = edge_points(lay, e)
    if e.subclass:
        style = 'stroke-dasharray="5,4" marker-end="url(#triangle)"'
    else:
        style = 'marker-end="url(#arrow)"'
    path = (
        f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" '
        f'stroke="#777" stroke-width="1.1" {style}/>'
    )
    if not e.label:
        return path, ""
    mx, my = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
    halo = ' text-anchor="middle" fill="#333" stroke="white" stroke-width="3" paint-order="stroke"'
    return path, _text(mx, my - 3, e.label, 9.5, halo)


def _box_svg(b: Box) -> str:
    fill = COLOURS.get(b.module, "#eee")
    rect = (
        f'<rect x="{b.x}" y="{b.y}" width="{BOX_W}" height="{BOX_H}" rx="5" '
        f'fill="{fill}" stroke="#444"/>'
    )
    style = ' text-anchor="middle"' + (' font-style="italic"' if b.abstract else "")
    return rect + _text(b.cx, b.cy + 4.5, b.name, 13, style)


def to_svg(onto: Ontology) -> str:
    lay = layout(onto)
    w, h = f"{lay.width:.0f}", f"{lay.height:.0f}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">',
        _DEFS,
        f'<rect width="{w}" height="{h}" fill="white"/>',
        _text(LEFT, 30, lay.title, 18, ' font-weight="bold"'),
        _text(LEFT, 52, lay.note, 12, ' fill="#444"'),
    ]
    for m, x in module_columns(lay):
        out.append(_text(x, TOP - 12, m, 13, ' font-weight="bold" fill="#333"'))
    labels = []
    for e in lay.edges:
        path, label = _edge_svg(lay, e)
        out.append(path)
        if label:
            labels.append(label)
    out += [_box_svg(b) for b in lay.boxes.values()]
    out += labels
    out.append("</svg>")
    return "\n".join(out) + "\n"


def module_columns(lay: Layout) -> list[tuple[str, float]]:
    """(module, x) of each column, left to right."""
    xs: dict[str, float] = {}
    for b in lay.boxes.values():
        xs[b.module] = min(xs.get(b.module, b.x), b.x)
    return sorted(xs.items(), key=lambda kv: kv[1])
