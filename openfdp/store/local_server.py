"""A real Neo4j 5.26 Community server assembled from Maven Central and run as a plain JVM.

`start` resolves ``org.neo4j:neo4j`` and its runtime jars once into a cache folder, writes
``neo4j.conf`` (loopback only, sized for a small machine), sets the initial password (those
steps are in :mod:`~openfdp.store.local_server_setup`), starts
``org.neo4j.server.CommunityEntryPoint`` and waits until Bolt answers; `stop` sends SIGTERM
and waits for a clean shutdown. A server already running for the same home folder is
reused, so `start` is idempotent.

Linux and macOS only (the platform-specific steps are in ``host_os``); on Windows `start`
says so and points to ``NEO4J_URI`` with ``deploy/compose.yaml``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from neo4j import GraphDatabase
from openfdp.settings import Settings
from openfdp.store import host_os
from openfdp.store.errors import ServerSetupError
from openfdp.store.local_server_setup import (
    ENTRY_POINT,
    PID_FILE,
    Progress,
    conf_text,
    ensure_jars,
    java_command,
    quiet,
    set_initial_password,
)


@dataclass(frozen=True)
class ServerInfo:
    uri: str
    pid: int | None
    version: str
    edition: str
    reused: bool = False


def home_dir(settings: Settings) -> Path:
    return settings.state_dir / "neo4j"


def _pid_alive_for_home(pid: int, home: Path) -> bool:
    cmdline = host_os.process_cmdline(pid)
    if cmdline is None:
        return False
    return ENTRY_POINT in cmdline and f"--home-dir={home}" in cmdline


def running_pid(settings: Settings) -> int | None:
    pid_file = home_dir(settings) / "run" / PID_FILE
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive_for_home(pid, home_dir(settings)) else None


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def log_tail(settings: Settings, lines: int = 30) -> str:
    logs = home_dir(settings) / "logs"
    chunks = []
    for name in ("console.out", "neo4j.log", "debug.log"):
        path = logs / name
        if path.exists():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {path} ---\n" + "\n".join(text))
    return "\n".join(chunks) or "(no Neo4j log written yet)"


def probe(settings: Settings, timeout_s: float = 5.0) -> ServerInfo:
    """Ask the server (local or external) for its version. Raises neo4j errors as they come."""
    n = settings.neo4j
    auth = (n.user, n.password.get_secret_value())
    query = "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition"
    with (
        GraphDatabase.driver(n.effective_uri, auth=auth, connection_timeout=timeout_s) as drv,
        drv.session(database=n.database) as session,
    ):
        rec = session.run(query).single(strict=True)
    return ServerInfo(
        uri=n.effective_uri, pid=running_pid(settings), version=rec["v"], edition=rec["edition"]
    )


def _wait_ready(settings: Settings, exit_code: Callable[[], int | None]) -> ServerInfo:
    """Poll Bolt until it answers; fail fast (with the log tail) if the process exits."""
    deadline = time.monotonic() + settings.neo4j.start_timeout_s
    while time.monotonic() < deadline:
        code = exit_code()
        if code is not None:
            raise ServerSetupError(
                f"Neo4j exited during startup with code {code} "
                f"({_EXIT_HINTS.get(code, 'see the log')}).\n{log_tail(settings)}"
            )
        try:
            return probe(settings, timeout_s=2.0)
        except AuthError as exc:
            raise ServerSetupError(
                "Neo4j is up but refused the configured password. Its data folder "
                f"({home_dir(settings) / 'data'}) was created with another password: set "
                "OPENFDP_NEO4J__PASSWORD to that one, or stop the server and delete the folder."
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError, Neo4jError):
            time.sleep(0.5)
    raise ServerSetupError(
        f"Neo4j did not answer on {settings.neo4j.effective_uri} within "
        f"{settings.neo4j.start_timeout_s:.0f}s.\n{log_tail(settings)}"
    )


_EXIT_HINTS = {
    1: "a port is probably already in use",
    2: "the store is locked by another process or damaged",
    3: "the configuration is invalid, or heap + page cache exceed the memory",
}


def _check_can_run(settings: Settings) -> None:
    if settings.neo4j.external:
        raise ServerSetupError(
            f"NEO4J_URI is set ({settings.neo4j.uri}): openfdp uses that server and starts none."
        )
    if not host_os.local_server_supported():
        raise ServerSetupError(host_os.unsupported_message())
    if shutil.which("java") is None:
        raise ServerSetupError("java is not on PATH; Neo4j 5.26 needs Java 17 or 21.")


def prepare_home(settings: Settings, progress: Progress = quiet) -> Path:
    """The server's folders, ``neo4j.conf`` and (on a new data folder) the initial password,
    as `start` leaves them before it runs the JVM; the jars folder."""
    _check_can_run(settings)
    lib = ensure_jars(settings, progress)
    home = home_dir(settings)
    for sub in ("conf", "data", "logs", "plugins", "import", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(conf_text(settings))
    if (
        not (home / "data" / "dbms" / "auth.ini").exists()
        and not (home / "data" / "databases").exists()
    ):
        progress("Setting the initial password...")
        set_initial_password(settings, home)
    return lib


def never_started(settings: Settings) -> bool:
    """No server runs for this home folder and it has no database store yet (so its
    database is empty without asking a server)."""
    if settings.neo4j.external:
        return False
    home = home_dir(settings)
    return running_pid(settings) is None and not (home / "data" / "databases").exists()


def start(settings: Settings, progress: Progress = quiet) -> ServerInfo:
    """Start the local server, or reuse the one already running for this home folder."""
    _check_can_run(settings)
    home = home_dir(settings)
    pid = running_pid(settings)
    if pid is not None:
        info = _wait_ready(settings, lambda: None if running_pid(settings) else 1)
        return ServerInfo(info.uri, pid, info.version, info.edition, reused=True)
    port = settings.neo4j.bolt_port
    if _port_taken(port):
        raise ServerSetupError(
            f"port {port} on 127.0.0.1 is already in use by another program; choose another "
            "with OPENFDP_NEO4J__BOLT_PORT, or stop that program."
        )
    lib = prepare_home(settings, progress)
    argv = java_command(settings, lib, home)
    env = dict(os.environ)
    env.pop("JAVA_OPTS", None)
    progress(f"Starting Neo4j {settings.neo4j.version} on 127.0.0.1:{port}...")
    host_os.raise_open_file_limit()  # inherited by the JVM
    with (home / "logs" / "console.out").open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=home,
            env=env,
            start_new_session=True,
        )
    (home / "run" / PID_FILE).write_text(str(proc.pid))
    try:
        info = _wait_ready(settings, proc.poll)
    except ServerSetupError:
        if proc.poll() is None:
            proc.kill()
        raise
    return ServerInfo(info.uri, proc.pid, info.version, info.edition)


def stop(settings: Settings, timeout_s: float = 90.0) -> bool:
    """Stop the local server cleanly (SIGTERM, then wait). Returns False if none was running."""
    pid = running_pid(settings)
    if pid is None:
        return False
    host_os.terminate(pid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _pid_alive_for_home(pid, home_dir(settings)):
            break
        time.sleep(0.3)
    else:
        host_os.kill(pid)
    (home_dir(settings) / "run" / PID_FILE).unlink(missing_ok=True)
    return True
