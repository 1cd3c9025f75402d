"""What a sender has shared: the export ledger (``<state_dir>/share/ledger.duckdb``).

For each agreement it keeps the content hash of every item (a node with its outgoing
relationships, or an evidence row) as of the last export the receiver *acknowledged*, and
for each export not yet acknowledged the changes it carried. An export sends the items whose
hash differs from the acknowledged state and a tombstone for each acknowledged item that is
gone, so amendments and deletions at the sender travel as well as new records. Acknowledging
an export (its signed receipt) folds its changes into the acknowledged state.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from openfdp.loaders.share.errors import ShareError

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS acked (agreement_id VARCHAR NOT NULL, item VARCHAR NOT NULL,"
    " hash VARCHAR NOT NULL, PRIMARY KEY (agreement_id, item))",
    "CREATE TABLE IF NOT EXISTS pending (export_id VARCHAR NOT NULL, item VARCHAR NOT NULL,"
    " hash VARCHAR, PRIMARY KEY (export_id, item))",
    "CREATE TABLE IF NOT EXISTS exports (export_id VARCHAR PRIMARY KEY,"
    " agreement_id VARCHAR NOT NULL, seq INTEGER NOT NULL, created_at VARCHAR NOT NULL,"
    " acked_at VARCHAR)",
]


def ledger_path(state_dir: Path) -> Path:
    return state_dir / "share" / "ledger.duckdb"


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise ShareError(f"the export ledger {path} cannot be opened") from exc
        for sql in _SCHEMA:
            self._con.execute(sql).fetchall()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def acked_state(self, agreement_id: str) -> dict[str, str]:
        rows = self._con.execute(
            "SELECT item, hash FROM acked WHERE agreement_id = ?", [agreement_id]
        ).fetchall()
        return {str(i): str(h) for i, h in rows}

    def last_acked(self, agreement_id: str) -> tuple[str | None, int]:
        row = self._con.execute(
            "SELECT export_id, seq FROM exports WHERE agreement_id = ? AND acked_at IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1",
            [agreement_id],
        ).fetchall()
        return (str(row[0][0]), int(row[0][1])) if row else (None, 0)

    def next_seq(self, agreement_id: str) -> int:
        row = self._con.execute(
            "SELECT coalesce(max(seq), 0) FROM exports WHERE agreement_id = ?", [agreement_id]
        ).fetchall()
        return int(row[0][0]) + 1

    def record_export(
        self,
        agreement_id: str,
        export_id: str,
        seq: int,
        created_at: str,
        changes: Iterable[tuple[str, str | None]],
    ) -> None:
        """The changes an export carried (hash None: a tombstone), until it is acknowledged."""
        frame = pd.DataFrame(list(changes), columns=["item", "hash"])
        self._con.execute("BEGIN").fetchall()
        try:
            self._con.execute(
                "INSERT INTO exports VALUES (?, ?, ?, ?, NULL)",
                [export_id, agreement_id, seq, created_at],
            ).fetchall()
            self._con.register("changes", frame)
            self._con.execute(
                "INSERT INTO pending SELECT ?, item, hash FROM changes", [export_id]
            ).fetchall()
            self._con.unregister("changes")
            self._con.execute("COMMIT").fetchall()
        except Exception:
            self._con.execute("ROLLBACK").fetchall()
            raise

    def export(self, export_id: str) -> tuple[str, int, str | None] | None:
        """(agreement id, seq, acknowledged at) of an export this instance wrote."""
        row = self._con.execute(
            "SELECT agreement_id, seq, acked_at FROM exports WHERE export_id = ?", [export_id]
        ).fetchall()
        if not row:
            return None
        return str(row[0][0]), int(row[0][1]), None if row[0][2] is None else str(row[0][2])

    def acknowledge(self, export_id: str, acked_at: str) -> int:
        """Fold an export's changes into the acknowledged state; how many items changed."""
        found = self.export(export_id)
        if found is None:
            raise ShareError(f"export {export_id} was not written by this instance")
        agreement_id, seq, _ = found
        _, last_seq = self.last_acked(agreement_id)
        if seq <= last_seq:
            return 0  # this export, or a later one that carried its changes, is acknowledged
        self._con.execute("BEGIN").fetchall()
        try:
            n = self._con.execute(
                "SELECT count(*) FROM pending WHERE export_id = ?", [export_id]
            ).fetchall()[0][0]
            self._con.execute(
                "DELETE FROM acked WHERE agreement_id = ? AND item IN "
                "(SELECT item FROM pending WHERE export_id = ?)",
                [agreement_id, export_id],
            ).fetchall()
            self._con.execute(
                "INSERT INTO acked SELECT ?, item, hash FROM pending "
                "WHERE export_id = ? AND hash IS NOT NULL",
                [agreement_id, export_id],
            ).fetchall()
            self._con.execute(
                "UPDATE exports SET acked_at = ? WHERE export_id = ?", [acked_at, export_id]
            ).fetchall()
            self._con.execute(
                "DELETE FROM pending WHERE export_id IN (SELECT export_id FROM exports "
                "WHERE agreement_id = ? AND seq <= ?)",
                [agreement_id, seq],
            ).fetchall()
            self._con.execute("COMMIT").fetchall()
        except Exception:
            self._con.execute("ROLLBACK").fetchall()
            raise
        return int(n)
