"""What `openfdp link status` and `openfdp link explain` print beyond the counts: the
operating point of the last run (label-free thresholds, expected precision and recall, the
precision measured through review decisions) and the waterfall of one pair's comparisons."""

from __future__ import annotations

from pathlib import Path

from openfdp.cli import link_waterfall
from openfdp.cli._common import console, settings
from openfdp.loaders.linkage import EvidenceStore, default_path, load_model, pseudonymiser_for
from openfdp.loaders.linkage.calibrate import measured_precision
from openfdp.loaders.linkage.config import Thresholds
from openfdp.loaders.linkage.explain import explain_pair


def operating_point_rows(
    point: dict[str, float] | None, labels: dict[str, float]
) -> list[tuple[str, str]]:
    """The last run's thresholds and expectations, and what review decisions measured."""
    if point is None:
        return [("operating point", "none yet (no run has scored pairs)")]
    rows = [
        ("auto-link threshold (chosen without labels)", f"p >= {point['match']:.4f}"),
        ("review band", f"{point['review']:.4f} <= p < {point['match']:.4f}"),
        ("expected precision of the auto-links", f"{point['expected_precision']:.4f}"),
        (
            "expected recall: auto-links / with the review band",
            f"{point['expected_recall']:.4f} / {point['expected_recall_with_review']:.4f}",
        ),
    ]
    decided = labels["decided"]
    if decided:
        rows.append(
            (
                "review decisions: accepted / decided (model expected)",
                f"{labels['accepted']:.0f} / {decided:.0f} ({labels['expected_accepted']:.1f})",
            )
        )
    est = measured_precision(
        point["expected_precision"], decided, labels["accepted"], labels["expected_accepted"]
    )
    rows.append(
        (
            "precision of the auto-links, corrected by review labels",
            "no review decisions yet" if est is None else f"{est:.4f}",
        )
    )
    return rows


def explain_pair_command(a: str, b: str, png: Path | None) -> None:
    s = settings()
    m = load_model(None)
    with EvidenceStore(default_path(s.state_dir), pseudonymiser_for(s)) as store:
        point = store.point(m.model_version)
        th = Thresholds(point["match"], point["review"]) if point else None
        ex = explain_pair(store, m, s.privacy.domain, a, b, thresholds=th)
    console.print(f"pair     {a}  {b}  ({ex.record_pairs} record pair(s); the strongest shown)")
    for line in link_waterfall.text(ex):
        console.print(line, markup=False, highlight=False)
    console.print(f"decision {ex.verdict}")
    if png is not None:
        console.print(f"waterfall written to {link_waterfall.png(ex, png)}")
