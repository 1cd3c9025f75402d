"""Waterfall of a pair's match weight: text for the terminal, PNG with matplotlib."""

from __future__ import annotations

from pathlib import Path

from openfdp.loaders.linkage.explain import PairExplanation

WIDTH = 30  # characters for the largest bar


def text(ex: PairExplanation) -> list[str]:
    """One line per bar: label, weight, running total, and a bar from the running total."""
    bars = ex.bars
    scale = max(abs(w) for _, w in bars) or 1.0
    lines = [f"{'':<52} {'weight':>7} {'total':>7}"]
    total = 0.0
    for label, w in bars:
        total += w
        n = round(abs(w) / scale * WIDTH)
        bar = ("+" if w >= 0 else "-") * n
        lines.append(f"{label[:52]:<52} {w:>7.2f} {total:>7.2f}  {bar}")
    lines.append(
        f"{'match weight':<52} {ex.match_weight:>7.2f}          p = {ex.match_probability:.4f}"
    )
    return lines


def png(ex: PairExplanation, path: Path) -> Path:
    import matplotlib  # noqa: PLC0415 - only when a picture is asked for

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    bars = ex.bars
    labels = [label for label, _ in bars] + ["match weight"]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) + 1.2))
    total = 0.0
    for i, (_, w) in enumerate(bars):
        colour = "#2b8a3e" if w >= 0 else "#c92a2a"
        ax.barh(i, w, left=total, color=colour)
        total += w
    ax.barh(len(bars), ex.match_weight, color="#1c7ed6")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("match weight (log2 Bayes factor)")
    ax.set_title(f"p = {ex.match_probability:.4f}: {ex.verdict}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
