"""The evidence store: what linkage keeps between runs, with no raw identifier in it.

A DuckDB file (``<state_dir>/linkage/evidence.duckdb``) with one row per distinct piece of
evidence about a person: the person's pseudo_id, the provider, whether the NHS number was
verified, and the keyed tokens and Bloom-filter encodings of :mod:`openfdp.loaders.linkage.encode`.
Rows not yet linked are *pending*; a run links them against everything already stored and
then marks them linked, which is what makes linking incremental. The trained model
parameters (m, u and the prior, no values) are kept beside them, per model version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]

from openfdp.loaders.linkage.encode import (
    BLOOM_BITS,
    BLOOM_COLUMNS,
    COUNT_COLUMNS,
    TOKEN_COLUMNS,
    Encoder,
    clear_caches,
)
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser, nhs_number_is_valid
from openfdp.store.linkage import LinkageError

_ENCODED = (*TOKEN_COLUMNS, *BLOOM_COLUMNS, *COUNT_COLUMNS)
_SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS evidence_seq",
    "CREATE TABLE IF NOT EXISTS evidence ("
    " record_id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL DEFAULT nextval('evidence_seq'),"
    " domain VARCHAR NOT NULL, person_id VARCHAR NOT NULL, provider_ods VARCHAR,"
    " nhs_verified BOOLEAN NOT NULL, "
    + ", ".join(f"{c} VARCHAR" for c in TOKEN_COLUMNS)
    + ", "
    + ", ".join(f"{c} BLOB" for c in BLOOM_COLUMNS)
    + ", "
    + ", ".join(f"{c} INTEGER" for c in COUNT_COLUMNS)
    + ", added_at TIMESTAMPTZ NOT NULL DEFAULT now(), linked_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS trained_model ("
    " model_version VARCHAR PRIMARY KEY, trained_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
    " records INTEGER NOT NULL, settings_json VARCHAR NOT NULL)",
    # stores written before the canonical given-name token was encoded
    "ALTER TABLE evidence ADD COLUMN IF NOT EXISTS gn_canon_tok VARCHAR",
    "CREATE TABLE IF NOT EXISTS operating_point ("
    " model_version VARCHAR PRIMARY KEY, computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
    " point_json VARCHAR NOT NULL)",
]
_COMPARABLE = (
    "(gn_tok IS NOT NULL OR fn_tok IS NOT NULL OR dob_tok IS NOT NULL OR pc_tok IS NOT NULL"
    " OR id_tok IS NOT NULL OR addr_tok IS NOT NULL)"
)


# 16 hex digits -> the same 64 bits as a signed BIGINT (as engine_sql.prepare does)
_HEX_TO_BIGINT = (
    "CAST(CAST(('0x' || {x}) AS UBIGINT) AS HUGEINT) - CASE WHEN CAST(('0x' || {x}) AS UBIGINT)"
    " >= 9223372036854775808 THEN 18446744073709551616 ELSE 0 END"
)
_PREPARED = ", ".join(
    [
        *(f"CAST({_HEX_TO_BIGINT.format(x=c)} AS BIGINT) AS {c}" for c in TOKEN_COLUMNS),
        *(
            f"coalesce(CAST(('0x' || substring(hex({c}), {1 + 16 * k}, 16)) AS UBIGINT), 0)"
            f" AS {c}{k}"
            for c in BLOOM_COLUMNS
            for k in range(BLOOM_BITS // 64)
        ),
        *COUNT_COLUMNS,
    ]
)


def default_path(state_dir: Path) -> Path:
    return state_dir / "linkage" / "evidence.duckdb"


class EvidenceStore:
    """Encodes identity evidence at the loader boundary and keeps only the encodings.

    ``store.add`` has the shape of the load pipeline's ``identity_sink``.
    """

    def __init__(self, path: Path, pseudonymiser: Pseudonymiser) -> None:
        self.path = path
        self.domain = pseudonymiser.domain
        # encodings under the linkage key and domain (the ICS-wide ones when set), so rows
        # encoded at different trusts of one ICS compare at the ICS
        self._encoder = Encoder(key=pseudonymiser.linkage_key, domain=pseudonymiser.linkage_domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise LinkageError(
                f"the evidence store {path} cannot be opened (is another openfdp process using it?)"
            ) from exc
        self._con.execute("SET threads = 1").fetchall()
        self._con.execute("SET enable_progress_bar = false").fetchall()
        for sql in _SCHEMA:
            self._con.execute(sql).fetchall()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()
        clear_caches()

    def add(self, items: Sequence[IdentityEvidence]) -> int:
        """Encode and store evidence; returns how many rows were new (repeats are ignored)."""
        return self.add_encoded([self._row(ev) for ev in items])

    __call__ = add

    def _row(self, ev: IdentityEvidence) -> dict[str, Any]:
        person = str(ev.person_ref["pseudo_id"])
        domain = str(ev.person_ref.get("pseudonymisation_domain", self.domain))
        encoded = self._encoder.encode(ev)
        verified = ev.nhs_number is not None and nhs_number_is_valid(ev.nhs_number)
        # one row per distinct evidence: the same evidence loaded again is the same row
        # the filters are functions of the same normalised values as the tokens
        key = "|".join([domain, person, ev.provider_ods, str(verified), ""])
        # (the canonical given name is a function of the given name: not part of the key, so
        # rows stored before it was encoded keep their record_id)
        key += "|".join(str(encoded[c]) for c in TOKEN_COLUMNS if c != "gn_canon_tok")
        fingerprint = hashlib.sha256(key.encode()).hexdigest()[:32]
        return {
            "record_id": fingerprint,
            "domain": domain,
            "person_id": person,
            "provider_ods": ev.provider_ods,
            "nhs_verified": verified,
            **encoded,
        }

    # --- shared data products (openfdp/loaders/share) -----------------------------------

    def rows_of(self, domain: str, persons: Sequence[str]) -> pd.DataFrame:
        """Every stored row of some persons, with the provider (for a data product)."""
        cols = ", ".join(_ENCODED)
        self._con.register("share_persons", pd.DataFrame({"person_id": list(persons)}))
        try:
            return self._con.execute(
                "SELECT record_id, person_id, provider_ods, nhs_verified, "  # noqa: S608
                f"{cols} FROM evidence WHERE domain = ? AND person_id IN "
                "(SELECT person_id FROM share_persons) ORDER BY record_id",
                [domain],
            ).df()
        finally:
            self._con.unregister("share_persons")

    def add_encoded(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store rows encoded elsewhere (an imported data product), pending; new rows count."""
        if not rows:
            return 0
        batch = pd.DataFrame(rows).drop_duplicates("record_id")
        cols = ", ".join(batch.columns)
        before = self.count()
        self._con.register("encoded_batch", batch)
        try:
            self._con.execute(
                f"INSERT OR IGNORE INTO evidence ({cols}) SELECT {cols} FROM encoded_batch"  # noqa: S608
            ).fetchall()
        finally:
            self._con.unregister("encoded_batch")
        return self.count() - before

    def delete_provider(self, domain: str, provider_ods: str) -> int:
        """Forget every row of one provider (a withdrawn data sharing agreement)."""
        rows = self._con.execute(
            "DELETE FROM evidence WHERE domain = ? AND provider_ods = ? RETURNING 1",
            [domain, provider_ods],
        ).fetchall()
        return len(rows)

    # --- what a linkage run reads and writes -------------------------------------------

    def count(self, *, pending: bool = False) -> int:
        sql = "SELECT count(*) FROM evidence"
        row = self._con.execute(sql + (" WHERE linked_at IS NULL" if pending else "")).fetchall()
        return int(row[0][0]) if row else 0

    def high_water(self) -> int:
        row = self._con.execute("SELECT coalesce(max(seq), 0) FROM evidence").fetchall()
        return int(row[0][0]) if row else 0

    def frame(self, domain: str, upto: int) -> pd.DataFrame:
        """Comparable rows of a domain up to a sequence number, with a ``pending`` flag.

        Already in the integer shape Splink compares (:func:`engine_sql.prepare`), converted
        here in SQL: a million-person ICS has millions of rows, and as Python strings and
        bytes they took about ten times the memory of the integers.
        """
        sql = (
            "SELECT record_id, person_id, nhs_verified, linked_at IS NULL AS pending, "  # noqa: S608
            f"{_PREPARED} FROM evidence WHERE domain = ? AND seq <= ? AND {_COMPARABLE} "
            "ORDER BY record_id"
        )
        table: Any = self._con.sql(sql, params=[domain, upto]).to_arrow_table()
        frame: pd.DataFrame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        del table
        # DuckDB's allocator keeps what the query used (about twice the frame); a lower
        # memory limit makes it give that back before the linkage engine needs the memory
        limit = self._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        self._con.execute("SET memory_limit = '64MiB'").fetchall()
        self._con.execute("SET memory_limit = ?", [limit]).fetchall()
        return frame

    def frame_of(self, domain: str, persons: Sequence[str]) -> pd.DataFrame:
        """The rows of some persons, shaped as :meth:`frame` (for explaining a pair)."""
        cols = ", ".join(_ENCODED)
        marks = ", ".join("?" for _ in persons)
        return self._con.execute(
            "SELECT record_id, person_id, nhs_verified, linked_at IS NULL AS pending, "  # noqa: S608
            f"{cols} FROM evidence WHERE domain = ? AND person_id IN ({marks}) "
            "ORDER BY record_id",
            [domain, *persons],
        ).df()

    def persons(self, domain: str) -> set[str]:
        rows = self._con.execute(
            "SELECT DISTINCT person_id FROM evidence WHERE domain = ?", [domain]
        ).fetchall()
        return {str(r[0]) for r in rows}

    def mark_linked(self, domain: str, upto: int) -> int:
        # counted first: RETURNING a row per updated row held them all in memory (853 MiB
        # for 339,470 rows, against 45 MiB this way)
        where = "WHERE domain = ? AND seq <= ? AND linked_at IS NULL"
        row = self._con.execute(f"SELECT count(*) FROM evidence {where}", [domain, upto])  # noqa: S608
        count = int(row.fetchall()[0][0])
        self._con.execute(f"UPDATE evidence SET linked_at = now() {where}", [domain, upto])  # noqa: S608
        return count

    def providers(self, domain: str, person_id: str) -> dict[str, int]:
        """Evidence rows per provider for one person (for ``openfdp link explain``)."""
        rows = self._con.execute(
            "SELECT provider_ods, count(*) FROM evidence WHERE domain = ? AND person_id = ? "
            "GROUP BY provider_ods ORDER BY provider_ods",
            [domain, person_id],
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def trained(self, model_version: str) -> dict[str, Any] | None:
        row = self._con.execute(
            "SELECT settings_json FROM trained_model WHERE model_version = ?", [model_version]
        ).fetchall()
        return dict(json.loads(row[0][0])) if row else None

    def save_trained(self, model_version: str, settings: dict[str, Any], records: int) -> None:
        self._con.execute(
            "INSERT OR REPLACE INTO trained_model (model_version, records, settings_json) "
            "VALUES (?, ?, ?)",
            [model_version, records, json.dumps(settings)],
        ).fetchall()

    def save_point(self, model_version: str, point: dict[str, Any]) -> None:
        """The operating point of the last run that scored pairs (thresholds, expectations)."""
        self._con.execute(
            "INSERT OR REPLACE INTO operating_point (model_version, point_json) VALUES (?, ?)",
            [model_version, json.dumps(point)],
        ).fetchall()

    def point(self, model_version: str) -> dict[str, Any] | None:
        row = self._con.execute(
            "SELECT point_json FROM operating_point WHERE model_version = ?", [model_version]
        ).fetchall()
        return dict(json.loads(row[0][0])) if row else None
