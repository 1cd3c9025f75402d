"""A real Neo4j 5.26 Community server assembled from Maven Central and run as a plain JVM.

`ensure_jars` resolves ``org.neo4j:neo4j`` and its runtime jars once into a cache folder;
`start` writes ``neo4j.conf`` (loopback only, sized for a small machine), sets the initial
password, starts ``org.neo4j.server.CommunityEntryPoint`` and waits until Bolt answers;
`stop` sends SIGTERM and waits for a clean shutdown. A server already running for the same
home folder is reused, so `start` is idempotent.

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
from openfdp.settings import REPO_ROOT, Settings
from openfdp.store import host_os
from openfdp.store.errors import ServerSetupError

POM = REPO_ROOT / "neo4j" / "pom.xml"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)
PID_FILE = "openfdp-neo4j.pid"
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class ServerInfo:
    uri: str
    pid: int | None
    version: str
    edition: str
    reused: bool = False


def cache_dir() -> Path:
    return Path(os.environ.get("OPENFDP_CACHE_DIR", str(REPO_ROOT / ".openfdp" / "cache")))


def lib_dir(settings: Settings) -> Path:
    return cache_dir() / f"neo4j-{settings.neo4j.version}" / "lib"


def home_dir(settings: Settings) -> Path:
    return settings.state_dir / "neo4j"


def ensure_jars(settings: Settings, progress: Progress = _quiet) -> Path:
    """Resolve the server jars with Maven into the cache (once; reused afterwards)."""
    lib = lib_dir(settings)
    marker = lib.parent / ".complete"
    if marker.exists() and any(lib.glob("neo4j-5*.jar")):
        return lib
    if shutil.which("mvn") is None:
        raise ServerSetupError(
            "Maven (mvn) is not on PATH; it is needed once to fetch the Neo4j server jars "
            "from Maven Central. Install it (e.g. `apt-get install maven`) or set NEO4J_URI "
            "to use an existing Neo4j."
        )
    progress(f"Resolving Neo4j {settings.neo4j.version} jars from Maven Central (once)...")
    tmp = lib.parent / "lib.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        "mvn", "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
        f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
        f"-Dneo4j.version={settings.neo4j.version}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not any(tmp.glob("neo4j-5*.jar")):
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ServerSetupError(
            f"Maven could not resolve org.neo4j:neo4j:{settings.neo4j.version}:\n{tail}"
        )
    shutil.rmtree(lib, ignore_errors=True)
    tmp.rename(lib)
    marker.write_text(settings.neo4j.version)
    return lib


def _conf_text(settings: Settings) -> str:
    n = settings.neo4j
    return "\n".join(
        [
            "server.directories.data=data",
            "server.directories.logs=logs",
            "server.directories.plugins=plugins",
            "server.directories.import=import",
            "server.directories.run=run",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address=127.0.0.1:{n.bolt_port}",
            f"server.bolt.advertised_address=127.0.0.1:{n.bolt_port}",
            "server.bolt.tls_level=DISABLED",
            "server.http.enabled=false",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            f"server.memory.heap.initial_size={n.heap_size}",
            f"server.memory.heap.max_size={n.heap_size}",
            f"server.memory.pagecache.size={n.pagecache_size}",
            "db.tx_log.rotation.retention_policy=2 files",
            "db.tx_log.rotation.size=64M",
            "db.transaction.timeout=300s",
            "dbms.usage_report.enabled=false",
            "",
        ]
    )


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


def _set_initial_password(settings: Settings, lib: Path, home: Path) -> None:
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    env.pop("JAVA_OPTS", None)
    password = settings.neo4j.password.get_secret_value()
    if len(password) < 8:
        raise ServerSetupError("the Neo4j password must have at least 8 characters")
    admin = ["java", "-Xmx256m", "-cp", str(lib / "*"), "org.neo4j.cli.AdminTool"]
    proc = subprocess.run(
        [*admin, "dbms", "set-initial-password", password],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).replace(password, "***")
        raise ServerSetupError(f"could not set the initial Neo4j password:\n{out[-2000:]}")


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


def start(settings: Settings, progress: Progress = _quiet) -> ServerInfo:
    """Start the local server, or reuse the one already running for this home folder."""
    if settings.neo4j.external:
        raise ServerSetupError(
            f"NEO4J_URI is set ({settings.neo4j.uri}): openfdp uses that server and starts none."
        )
    if not host_os.local_server_supported():
        raise ServerSetupError(host_os.unsupported_message())
    if shutil.which("java") is None:
        raise ServerSetupError("java is not on PATH; Neo4j 5.26 needs Java 17 or 21.")
    home = home_dir(settings)
    pid = running_pid(settings)
    if pid is not None:
        info = _wait_ready(settings, lambda: None if running_pid(settings) else 1)
        return ServerInfo(info.uri, pid, info.version, info.edition, reused=True)
    lib = ensure_jars(settings, progress)
    port = settings.neo4j.bolt_port
    if _port_taken(port):
        raise ServerSetupError(
            f"port {port} on 127.0.0.1 is already in use by another program; choose another "
            "with OPENFDP_NEO4J__BOLT_PORT, or stop that program."
        )
    for sub in ("conf", "data", "logs", "plugins", "import", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(_conf_text(settings))
    if (
        not (home / "data" / "dbms" / "auth.ini").exists()
        and not (home / "data" / "databases").exists()
    ):
        progress("Setting the initial password...")
        _set_initial_password(settings, lib, home)
    heap = settings.neo4j.heap_size
    argv = [
        "java", f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS,
        "-cp", os.pathsep.join(str(d / "*") for d in (home / "plugins", home / "conf", lib)),
        ENTRY_POINT, f"--home-dir={home}", f"--config-dir={home / 'conf'}", "--console-mode",
    ]  # fmt: skip
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
