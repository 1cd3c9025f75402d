"""The ontology picture as PNG, for `openfdp ontology export --format png`: the same layout as
the SVG export (:mod:`openfdp.ontology.picture`: module columns, class boxes, relationship
and subclass edges) drawn with matplotlib, which is imported only for this format because it
is slow to load.
"""

from __future__ import annotations

from pathlib import Path

from openfdp.ontology import Ontology, OntologyError
from openfdp.ontology.picture import (
    BOX_H,
    BOX_W,
    COLOURS,
    LEFT,
    TOP,
    edge_points,
    layout,
    module_columns,
)


def write_png(onto: Ontology, out: Path) -> None:
    """Draw the ontology picture into the PNG file ``out``."""
    import matplotlib  # noqa: PLC0415 - heavy: imported only for PNG export

    matplotlib.use("Agg")
    from matplotlib import patheffects  # noqa: PLC0415
    from matplotlib import pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: PLC0415
    from matplotlib.path import Path as MplPath  # noqa: PLC0415

    lay = layout(onto)
    fig = plt.figure(figsize=(lay.width / 100, lay.height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    ax.text(LEFT, 30, lay.title, fontsize=13, weight="bold", va="baseline")
    ax.text(LEFT, 52, lay.note, fontsize=8.5, color="#444", va="baseline")
    for module, x in module_columns(lay):
        ax.text(x, TOP - 12, module, fontsize=9.5, weight="bold", color="#333", va="baseline")
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for e in lay.edges:
        x1, y1, x2, y2, cx, cy = edge_points(lay, e)
        curve = MplPath(
            [(x1, y1), (cx, cy), (x2, y2)], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3]
        )
        ax.add_patch(
            FancyArrowPatch(
                path=curve,
                arrowstyle="-|>",
                mutation_scale=10,
                color="#777",
                lw=0.9,
                linestyle="--" if e.subclass else "-",
            )
        )
        if e.label:
            mx, my = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
            ax.text(
                mx,
                my - 3,
                e.label,
                fontsize=6.8,
                ha="center",
                color="#333",
                path_effects=halo,
                zorder=5,
            )
    for b in lay.boxes.values():
        ax.add_patch(
            FancyBboxPatch(
                (b.x, b.y),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0,rounding_size=5",
                facecolor=COLOURS.get(b.module, "#eee"),
                edgecolor="#444",
                zorder=3,
            )
        )
        ax.text(
            b.cx,
            b.cy,
            b.name,
            fontsize=9,
            ha="center",
            va="center",
            zorder=4,
            style="italic" if b.abstract else "normal",
        )
    try:
        fig.savefig(out, dpi=130)
    except OSError as exc:
        raise OntologyError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
