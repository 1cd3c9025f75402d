"""Split generated ICS extracts by provider for the federated demo (docs/federation.md).

Each trust gets the files of its own extracts (``*-<ODS>.csv``) and the national opt-out list
it holds too; the ICS gets the ICS-wide supplier contracts and data processing agreements
(published transparency data, not patient records). The truth file (``answers.csv``) goes
nowhere: it is for scoring linkage only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: ICS-wide extracts each trust holds a copy of
TRUST_SHARED = ("opt_outs",)
#: ICS-wide extracts the ICS instance loads itself
ICS_SHARED = ("supplier_contracts", "data_processing_agreements")


def split_extracts(src: Path, trusts: list[str], out: Path) -> dict[str, Path]:
    """Copy `src`'s extracts into ``out/<ODS>`` per trust and ``out/ics``; folder per owner."""
    folders = {ods: out / ods for ods in trusts} | {"ics": out / "ics"}
    for folder in folders.values():
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for path in sorted(src.glob("*.csv")):
        stem = path.stem
        if stem in TRUST_SHARED:
            for ods in trusts:
                shutil.copy2(path, folders[ods] / path.name)
        elif stem in ICS_SHARED:
            shutil.copy2(path, folders["ics"] / path.name)
        elif "-" in stem and stem.rsplit("-", 1)[1] in trusts:
            shutil.copy2(path, folders[stem.rsplit("-", 1)[1]] / path.name)
    return folders


def csv_bytes(folder: Path) -> int:
    """Bytes of the CSV extracts in `folder` (the truth files left out)."""
    return sum(
        p.stat().st_size for p in folder.glob("*.csv") if p.stem not in ("answers", "rtt_answers")
    )
