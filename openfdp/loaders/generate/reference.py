"""Real reference data the generator draws on: one ICB's trusts (ODS) and their published RTT
waiting-list shape per treatment function (NHS England, March 2026)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from openfdp.loaders.errors import LoaderError

DEFAULT_ICB = "QOP"


@dataclass(frozen=True)
class Trust:
    ods: str
    name: str
    postcode: str
    icb: str


@dataclass(frozen=True)
class WaitShape:
    """Published incomplete pathways of one trust x treatment function."""

    trust: str
    tfc: str
    size: int
    pct_within_18w: float
    median_weeks: float
    p92_weeks: float

    def quantiles(self) -> list[tuple[float, float]]:
        """(cumulative share, wait in weeks) points for a piecewise-linear inverse CDF."""
        top = max(self.p92_weeks * 1.6, 60.0)
        pts = sorted(
            [
                (0.0, 0.0),
                (0.5, self.median_weeks),
                (self.pct_within_18w, 18.0),
                (0.92, self.p92_weeks),
                (1.0, top),
            ]
        )
        out: list[tuple[float, float]] = []
        high = 0.0
        for q, w in pts:
            high = max(high, w)
            out.append((q, high))
        return out


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def icb_trusts(data_dir: Path, icb: str, count: int) -> list[Trust]:
    """The `count` open trusts of `icb` with the largest published waiting lists."""
    sizes = trust_sizes(data_dir)
    trusts = []
    with (data_dir / "nhs-ods-jhau-nhs-spend" / "etr.csv").open(newline="") as fh:
        for row in csv.reader(fh):
            if row[3] == icb and not row[11] and len(row[0]) == 3 and row[0] in sizes:
                trusts.append(Trust(row[0], row[1].title().replace("Nhs", "NHS"), row[9], row[3]))
    if len(trusts) < count:
        raise LoaderError(f"ICB {icb} has {len(trusts)} trusts with RTT data; asked for {count}")
    trusts.sort(key=lambda t: (-sizes[t.ods], t.ods))
    return trusts[:count]


def trust_sizes(data_dir: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for shape in _rows(data_dir):
        sizes[shape.trust] = sizes.get(shape.trust, 0) + shape.size
    return sizes


def _rows(data_dir: Path) -> list[WaitShape]:
    path = data_dir / "nhs-rtt-dd4real2k" / "rtt_incomplete_provider_clean.csv"
    shapes = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            tfc = row["treatment_function_code"]
            if not tfc.startswith("C_") or tfc == "C_999":
                continue
            size = int(float(row["total_incomplete_pathways"] or 0))
            pct, med, p92 = (
                _float(row["pct_within_18_weeks"]),
                _float(row["median_wait_weeks"]),
                _float(row["p92_wait_weeks"]),
            )
            if size <= 0 or pct is None or med is None or p92 is None:
                continue
            shapes.append(WaitShape(row["provider_code"], tfc[2:], size, pct, med, p92))
    return shapes


def wait_shapes(data_dir: Path, trusts: list[str]) -> list[WaitShape]:
    wanted = set(trusts)
    return sorted((s for s in _rows(data_dir) if s.trust in wanted), key=lambda s: (s.trust, s.tfc))
