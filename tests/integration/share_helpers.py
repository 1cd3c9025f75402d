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

__all__ = ["apply_ontology", "load_ontology", "make_test_settings"]

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
    return [*sorted(folder.glob(f"*-{ods}.csv")), folder / "opt_outs.csv"]


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


def export(
    driver: Driver, cfg: Settings, out: Path, agreement_id: str = AGREEMENT
) -> ExportSummary:
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


def resign(folder: Path, trust: Settings, change: Any) -> None:
    """Let ``change(manifest)`` edit a product, then hash and sign it again as the sender."""
    from openfdp.loaders.share.codec import sha256_file  # noqa: PLC0415
    from openfdp.loaders.share.manifest import read_signed, write_signed  # noqa: PLC0415

    manifest, _, _ = read_signed(folder)
    change(manifest)
    for name, meta in manifest["files"].items():
        meta["sha256"] = sha256_file(folder / name)
    write_signed(folder, manifest, trust)


def identifiers(folder: Path, files: list[Path]) -> dict[str, set[str]]:
    """The raw identifiers in some extracts: NHS numbers, names, dates of birth, postcodes."""
    import csv  # noqa: PLC0415

    from openfdp.loaders.privacy import nhs_number_is_valid, normalise_postcode  # noqa: PLC0415

    found: dict[str, set[str]] = {"nhs": set(), "name": set(), "dob": set(), "postcode": set()}
    for path in files:
        for row in csv.DictReader(path.open()):
            if nhs_number_is_valid(row.get("nhs_number")):
                found["nhs"].add(row["nhs_number"])
            for col in ("given_name", "family_name"):
                if row.get(col):
                    found["name"].add(row[col].lower())
            if row.get("birth_date"):
                found["dob"].add(row["birth_date"])
            full = normalise_postcode(row.get("postcode"))
            if full:
                found["postcode"] |= {full, full.replace(" ", "")}
    return found


def scan(texts: list[tuple[str, str]], ids: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Where an identifier occurs: valid NHS numbers anywhere (keyed tokens cut out first),
    a name as a whole value, a full date of birth or a full postcode anywhere."""
    from openfdp.loaders.privacy import looks_like_valid_nhs_number  # noqa: PLC0415

    words = re.compile(
        "|".join(re.escape(x) for x in sorted(ids["postcode"] | ids["dob"])), re.IGNORECASE
    )
    hits = []
    for where, raw in texts:
        text = HEX.sub("#", raw)
        hits += [(where, "nhs") for _ in looks_like_valid_nhs_number(text)]
        if text.lower() in ids["name"]:
            hits.append((where, "name"))
        if words.search(text):
            hits.append((where, "dob or postcode"))
    return hits


def graph_texts(driver: Driver) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    with driver.session() as session:
        for rec in session.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p"):
            for k, v in rec["p"].items():
                for s in v if isinstance(v, list) else [v]:
                    if isinstance(s, str):
                        texts.append((f"{rec['l']}.{k}", s))
    return texts


def product_texts(folder: Path) -> list[tuple[str, str]]:
    """Every string value in every data file of a product (the ontology file aside)."""
    from openfdp.loaders.share.codec import read_lines  # noqa: PLC0415

    texts: list[tuple[str, str]] = []

    def walk(where: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{where}.{k}", v)
        elif isinstance(value, list):
            for v in value:
                walk(where, v)
        elif isinstance(value, str):
            texts.append((where, value))

    files = sorted(folder.glob("*.jsonl.xz"))
    assert files, f"no data files in {folder}"
    for path in files:
        if not path.name.startswith("ontology"):
            for row in read_lines(path):
                walk(path.name, row)
    return texts


def env_of(cfg: Settings) -> dict[str, str]:
    """The environment that makes the command line run as this instance."""
    return {
        "OPENFDP_STATE_DIR": str(cfg.state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(cfg.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": cfg.neo4j.password.get_secret_value(),
        "OPENFDP_INSTANCE__ROLE": cfg.instance.role,
        "OPENFDP_INSTANCE__ODS": str(cfg.instance.ods),
        "OPENFDP_PRIVACY__HMAC_KEY": cfg.privacy.hmac_key.get_secret_value(),
        "OPENFDP_PRIVACY__DOMAIN": cfg.privacy.domain,
        "OPENFDP_SHARE__LINKAGE_KEY": LINK["linkage_key"],
        "OPENFDP_SHARE__LINKAGE_DOMAIN": LINK["linkage_domain"],
    }


def run_cli(cfg: Settings, *args: str) -> tuple[int, str, str]:
    """`openfdp ARGS` in this process as the instance of ``cfg``: (exit code, stdout, stderr)."""
    import pytest  # noqa: PLC0415
    from typer.testing import CliRunner  # noqa: PLC0415

    from openfdp.cli import app  # noqa: PLC0415
    from openfdp.settings import get_settings  # noqa: PLC0415

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env_of(cfg).items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()
    return result.exit_code, result.stdout, result.stderr
