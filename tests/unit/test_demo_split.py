"""The federated demo's split of generated ICS extracts (docs/federation.md, "The federated
demo"): each trust gets its own extracts and the opt-out list, the ICS the ICS-wide supplier
files, and the truth file goes to no instance."""

from __future__ import annotations

import csv
from pathlib import Path

from openfdp.cli.demo_split import csv_bytes, split_extracts
from openfdp.loaders.generate import generate
from openfdp.settings import REFERENCE_DATA_DIR


def test_split_by_provider(tmp_path: Path) -> None:
    made = generate(tmp_path / "all", data_dir=REFERENCE_DATA_DIR, trusts=3, patients=60, seed=2)
    folders = split_extracts(tmp_path / "all", made.trusts, tmp_path / "split")
    assert set(folders) == {*made.trusts, "ics"}
    for ods in made.trusts:
        names = {p.name for p in folders[ods].glob("*.csv")}
        assert "opt_outs.csv" in names and f"waiting_list-{ods}.csv" in names
        assert all(n == "opt_outs.csv" or n.endswith(f"-{ods}.csv") for n in names)
        for path in folders[ods].glob(f"*-{ods}.csv"):
            with path.open(encoding="utf-8") as fh:
                providers = {r.get("provider_ods") for r in csv.DictReader(fh)} - {None, ""}
            assert providers <= {ods}, path.name
    ics = {p.name for p in folders["ics"].glob("*.csv")}
    assert ics == {"supplier_contracts.csv", "data_processing_agreements.csv"}
    every = [p for f in folders.values() for p in f.iterdir()]
    assert not any(p.stem in ("answers", "rtt_answers") for p in every)
    # nothing lost: every extract file of the generator is in exactly one place (opt-outs in
    # each trust's)
    trust_files = sum(len(list(folders[o].glob("*.csv"))) for o in made.trusts)
    generated = [p for p in (tmp_path / "all").glob("*.csv") if "answers" not in p.stem]
    assert trust_files + len(ics) == len(generated) + len(made.trusts) - 1
    assert csv_bytes(folders[made.trusts[0]]) > 0
