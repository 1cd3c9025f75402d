"""`neo4j-admin database import full` on the local server's home, from :class:`BulkFiles`.

The import tool ships in the server jars the project already fetches (``org.neo4j.cli.
AdminTool``, ``neo4j-import-tool``). It writes a new store directly, far faster than
transactions, but only into a database that is offline and empty: the caller stops the local
server, imports with ``--overwrite-destination`` (the default database exists after the
first start, with nothing in it), and starts it again. An external server (``NEO4J_URI``)
cannot be bulk-loaded from here.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.settings import Settings
from openfdp.store.bulk import ARRAY_DELIMITER, BulkFiles
from openfdp.store.errors import ServerSetupError
from openfdp.store.local_server import home_dir
from openfdp.store.local_server_setup import ensure_jars

ADMIN_TOOL = "org.neo4j.cli.AdminTool"
# Present from just before the server stops for an import until the schema is applied: a
# database that holds it holds a bulk import that did not finish (killed, machine down),
# which the next `openfdp db import` replaces and nothing else may load into. In the data
# folder, so deleting that folder removes it too.
UNFINISHED = "openfdp-bulk-import.unfinished"
SET_EMPTY_LIST = "UNWIND $rows AS row MATCH (n:{label} {{{key}}}) SET n.{prop} = []"
CHUNK = 10_000


def unfinished_marker(settings: Settings) -> Path:
    return home_dir(settings) / "data" / UNFINISHED


def check_no_unfinished_import(settings: Settings) -> None:
    """Refuse to load into a database a bulk import left half done."""
    if not settings.neo4j.external and unfinished_marker(settings).exists():
        raise ServerSetupError(
            "a bulk import into this database did not finish; run the same `openfdp db "
            "import` again (it replaces the partial import) before loading into it"
        )


def import_command(settings: Settings, lib: Path, files: BulkFiles) -> list[str]:
    """The java command line of the import (no secrets on it)."""
    report = files.nodes[0].parent / "import.report" if files.nodes else Path("import.report")
    argv = [
        "java", f"-Xmx{settings.neo4j.heap_size}", "-cp", f"{lib}/*", ADMIN_TOOL,
        "database", "import", "full", settings.neo4j.database,
        "--overwrite-destination=true",
        "--multiline-fields=true",
        f"--array-delimiter={ARRAY_DELIMITER}",
        "--skip-duplicate-nodes=false",
        "--bad-tolerance=0",
        f"--threads={max(1, os.cpu_count() or 1)}",
        f"--report-file={report}",
    ]  # fmt: skip
    argv += [f"--nodes={p}" for p in files.nodes]
    argv += [f"--relationships={p}" for p in files.relationships]
    return argv


def run_import(settings: Settings, files: BulkFiles) -> str:
    """Run the import tool into the local server's (stopped) home; its output on success."""
    if settings.neo4j.external:
        raise ServerSetupError(
            "bulk import writes the store files of the local server; with NEO4J_URI set, "
            "load with `openfdp load` instead"
        )
    lib = ensure_jars(settings)
    home = home_dir(settings)
    if not (home / "conf" / "neo4j.conf").exists():
        raise ServerSetupError(
            "the local server has never been started; run `openfdp db start` once first"
        )
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    env.pop("JAVA_OPTS", None)
    proc = subprocess.run(
        import_command(settings, lib, files),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        # a failed import leaves unusable store files: remove them, so the server starts
        # again with the empty database the import was refused into
        for sub in ("databases", "transactions"):
            shutil.rmtree(home / "data" / sub / settings.neo4j.database, ignore_errors=True)
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ServerSetupError(f"neo4j-admin database import failed:\n{tail}")
    return proc.stdout


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _empty_lists(path: Path) -> Iterator[tuple[str, tuple[str, ...], str, tuple[Any, ...]]]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)  # noqa: S301 - the file the merge wrote just before
            except EOFError:
                return


def set_empty_lists(driver: Driver, files: BulkFiles, database: str = "neo4j") -> int:
    """Set the empty-list properties the import files could not carry (after the schema, so
    each MATCH is index-backed), `CHUNK` nodes a statement, read from the file the merge
    wrote. Labels and names come from the ontology-checked rows."""
    if files.empty_lists is None:
        return 0
    done = 0
    rows: list[list[Any]] = []
    target: tuple[str, tuple[str, ...], str] | None = None

    def flush() -> None:
        nonlocal done, rows
        if target is None or not rows:
            return
        label, key, prop = target
        text = SET_EMPTY_LIST.format(
            label=_q(label), key=", ".join(f"{_q(k)}: row[{i}]" for i, k in enumerate(key)),
            prop=_q(prop),
        )  # fmt: skip
        driver.execute_query(text, rows=rows, database_=database)
        done += len(rows)
        rows = []

    for label, key, prop, values in _empty_lists(files.empty_lists):
        if (label, key, prop) != target or len(rows) >= CHUNK:
            flush()
            target = (label, key, prop)
        rows.append(list(values))
    flush()
    return done
