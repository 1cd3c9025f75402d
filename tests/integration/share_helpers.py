"""Two instances for the sharing tests: a trust (RM3) and an ICS (QOP) with their own state
folders, pseudonymisation keys and domains and signing keys, the same ICS linkage key; a
trust loads its own generated extracts, exports under an agreement, and the ICS imports."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.generate import generate
from openfdp.loaders.share import agreements, keys
from openfdp.loaders.share.export import ExportSummary, export_product
from openfdp.loaders.share.importer import ImportSummary, import_product
from openfdp.ontology import load_ontology
from openfdp.settings import REFERENCE_DATA_DIR, Settings
from openfdp.store.schema import apply_ontology
from tests.conftest import make_test_settings, wipe

TRUST, ICS = "RM3", "QOP"
AGREEMENT = "DSA-RM3-QOP-1"
LINK = {"linkage_key": "ics-qop-linkage-key", "linkage_domain": "ics-qop-link"}
#: keyed tokens (16+ hex digits): cut out before scanning, as in test_privacy_scan.py
HEX = re.compile(r"[0-9a-f]{16,}")


def trust_settings(root: Path, ods: str = TRUST, **over: Any) -> Settings:
    return make_test_settings(
        state_dir=root / f"trust-{ods}",
        instance={"role": "trust", "ods": ods},
        privacy={"hmac_key": f"trust-{ods}-pseudonymisation-key", "domain": f"trust-{ods}"},
        share=LINK,
        **over,
    )


def ics_settings(root: Path, **over: Any) -> Settings:
    return make_test_settings(
        state_dir=root / "ics",
        instance={"role": "ics", "ods": ICS},
        privacy={"hmac_key": "ics-qop-pseudonymisation-key", "domain": "ics-qop"},
        share=LINK,
        **over,
    )


def pair_keys(trust: Settings, ics: Settings) -> None:
    """Each instance's signing key, and each trusting the other's public key."""
    t_pub, _ = keys.init_keys(keys.keys_dir(trust))
    i_pub, _ = keys.init_keys(keys.keys_dir(ics))
    keys.add_peer(keys.keys_dir(ics), str(trust.instance.ods), t_pub)
    keys.add_peer(keys.keys_dir(trust), ICS, i_pub)


def extracts(root: Path, *, patients: int = 40, seed: int = 3) -> Path:
    out = root / "extracts"
    if not out.exists():
        generate(out, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=patients, seed=seed)
    return out


def trust_files(folder: Path, ods: str = TRUST) -> list[Path]:
    return sorted(folder.glob(f"*-{ods}.csv")) + [folder / "opt_outs.csv"]


def load_trust(driver: Driver, cfg: Settings, files: list[Path]) -> None:
    ontology = load_ontology()
    apply_ontology(driver, ontology)
    load_feed("csv", files, cfg=cfg, driver=driver, ontology=ontology,
              quarantine_dir=cfg.state_dir / "quarantine")  # fmt: skip


def agree(
    driver: Driver,
    cfg: Settings,
    *,
    classes: tuple[str, ...] = ("rtt_pathways", "appointments"),
    start: dt.date | None = None,
    end: dt.date | None = None,
    sender: str = TRUST,
    agreement_id: str = AGREEMENT,
) -> None:
    agreements.create(
        driver, cfg, agreement_id=agreement_id, sender=sender, receiver=ICS,
        legal_basis="UK GDPR 6(1)(e) and 9(2)(h); ICS data sharing agreement",
        purposes=["planning", "direct_care"], data_classes=list(classes),
        start=start or dt.date(2025, 1, 1), end=end,
    )  # fmt: skip


def export(driver: Driver, cfg: Settings, out: Path, agreement_id: str = AGREEMENT) -> ExportSummary:
    return export_product(driver, cfg, load_ontology(), agreement_id, out)


def become_ics(driver: Driver, ics: Settings, **agree_kw: Any) -> None:
    """The same server now plays the ICS: empty graph, ontology applied, agreement recorded."""
    wipe(driver)
    apply_ontology(driver, load_ontology())
    agree(driver, ics, **agree_kw)


def import_(driver: Driver, ics: Settings, folder: Path) -> ImportSummary:
    return import_product(driver, ics, load_ontology(), folder)


def count(driver: Driver, cypher: str, **params: Any) -> int:
    records, _, _ = driver.execute_query(cypher, **params)
    return int(records[0][0])
