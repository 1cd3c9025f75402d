"""Draw docs/linkage-decisions.png: pairwise components versus the cluster rule.

.venv/bin/python scripts/linkage_figure.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OUT = Path(__file__).resolve().parent.parent / "docs" / "linkage-decisions.png"

# four records of one household: twin Oliver at two trusts, his twin Harry, and Harry at RC3
NODES = {
    "Oliver @RA1": (0.0, 1.0),
    "Oliver @RB2": (0.0, 0.0),
    "Harry @RA1": (1.6, 1.0),
    "Harry @RC3": (1.6, 0.0),
}
EDGES = [  # (a, b, p, kept by the cluster rule, note)
    ("Oliver @RA1", "Oliver @RB2", 0.999, True, ""),
    ("Harry @RA1", "Harry @RC3", 0.998, True, ""),
    ("Oliver @RA1", "Harry @RA1", 0.97, False, "twin-like"),
    ("Oliver @RB2", "Harry @RC3", 0.96, False, "twin-like"),
]


def panel(ax: plt.Axes, title: str, rule: bool) -> None:
    ax.set_title(title, fontsize=10)
    for a, b, p, kept, note in EDGES:
        (x1, y1), (x2, y2) = NODES[a], NODES[b]
        cut = rule and not kept
        ax.plot(
            [x1, x2],
            [y1, y2],
            color="#c92a2a" if cut else "#2b8a3e",
            linestyle=":" if cut else "-",
            linewidth=1.5 if cut else 2.5,
            zorder=1,
        )
        label = f"p={p}" + (f"\n{note}: review" if cut else "")
        if y1 == y2:  # across: label above the line, centred
            ax.text((x1 + x2) / 2, y1 + 0.08, label, fontsize=7.5, ha="center")
        else:
            ax.text(x1 + 0.08, (y1 + y2) / 2, label, fontsize=7.5)
    clusters = (
        [["Oliver @RA1", "Oliver @RB2"], ["Harry @RA1", "Harry @RC3"]] if rule else [list(NODES)]
    )
    colours = ["#d0ebff", "#ffe3e3"] if rule else ["#fff3bf"]
    for members, colour in zip(clusters, colours, strict=True):
        xs = [NODES[m][0] for m in members]
        ys = [NODES[m][1] for m in members]
        ax.add_patch(
            plt.Rectangle(
                (min(xs) - 0.35, min(ys) - 0.3),
                max(xs) - min(xs) + 0.7,
                max(ys) - min(ys) + 0.6,
                color=colour,
                zorder=0,
            )
        )
    for name, (x, y) in NODES.items():
        ax.scatter([x], [y], s=900, color="white", edgecolor="#343a40", zorder=2)
        ax.text(x, y, name.replace(" ", "\n"), ha="center", va="center", fontsize=7, zorder=3)
    ax.set_xlim(-0.6, 2.4)
    ax.set_ylim(-0.5, 1.5)
    ax.axis("off")


def main() -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1, 1, 1.1]})
    panel(axes[0], "pairwise links + connected components:\none cluster (twins merged)", False)
    panel(axes[1], "openfdp: pair rule + cluster rule:\ntwo clusters, two review tasks", True)
    steps = [
        "pair (best record pair of two persons)",
        "p >= auto-link threshold?  (chosen from the scores:",
        "   expected precision of the links >= 0.995)",
        "given name + date of birth (+ agreeing NHS number)",
        "   weigh >= 0?  (household evidence alone never links)",
        "no conflict: different sexes, twin-like,",
        "   parent-and-child-like",
        "cluster rule: every record pair across the two",
        "   clusters scored >= floor, no conflict, at most",
        "   one verified NHS number",
        "-> link;   otherwise p >= review band -> review task",
    ]
    axes[2].axis("off")
    axes[2].set_title("decision, strongest pair first", fontsize=10)
    for i, s in enumerate(steps):
        axes[2].text(0.0, 0.95 - i * 0.085, s, fontsize=8, family="monospace", va="top")
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(OUT)


if __name__ == "__main__":
    main()
