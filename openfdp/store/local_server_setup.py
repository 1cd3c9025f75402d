"""Setting up the local Neo4j server's files and command line: the server jars resolved once
with Maven from Central into a cache folder, ``neo4j.conf`` (loopback only, Bolt without TLS,
HTTP off, heap and page cache from the settings), the initial password (the file Neo4j's
admin tool would write, never shown in an error), and the ``java`` command that runs
``org.neo4j.server.CommunityEntryPoint`` for a home folder.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from openfdp.settings import REPO_ROOT, Settings
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
HASH_ITERATIONS = 1024  # Neo4j's SecureHasher
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    return None


def cache_dir() -> Path:
    return Path(os.environ.get("OPENFDP_CACHE_DIR", str(REPO_ROOT / ".openfdp" / "cache")))


def lib_dir(settings: Settings) -> Path:
    return cache_dir() / f"neo4j-{settings.neo4j.version}" / "lib"


def ensure_jars(settings: Settings, progress: Progress = quiet) -> Path:
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


def conf_text(settings: Settings) -> str:
    """The ``neo4j.conf`` openfdp writes for its own server."""
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


def auth_line(password: str, salt: bytes, iterations: int = HASH_ITERATIONS) -> str:
    """The ``auth.ini`` line Neo4j's ``neo4j-admin dbms set-initial-password`` writes for the
    ``neo4j`` user: SHA-256 of salt + password, re-hashed to ``iterations`` rounds in all
    (its ``SecureHasher``), as ``neo4j:SHA-256,<hash>,<salt>,<iterations>:``."""
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    for _ in range(iterations - 1):
        digest = hashlib.sha256(digest).digest()
    return f"neo4j:SHA-256,{digest.hex()},{salt.hex()},{iterations}:\n"


def set_initial_password(settings: Settings, home: Path) -> None:
    """Set the configured password on a new data folder (at least 8 characters): the
    ``data/dbms/auth.ini`` file the admin tool would write, which the server reads on its
    first start, written here without starting a JVM for it (seconds per new server)."""
    password = settings.neo4j.password.get_secret_value()
    if len(password) < 8:
        raise ServerSetupError("the Neo4j password must have at least 8 characters")
    dbms = home / "data" / "dbms"
    dbms.mkdir(parents=True, exist_ok=True)
    (dbms / "auth.ini").write_text(auth_line(password, secrets.token_bytes(32)))


def java_command(settings: Settings, lib: Path, home: Path) -> list[str]:
    """The command line that runs the server for ``home`` (its plugins, conf, then the jars)."""
    heap = settings.neo4j.heap_size
    return [
        "java", f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, *shlex.split(settings.neo4j.jvm_options),
        "-cp", os.pathsep.join(str(d / "*") for d in (home / "plugins", home / "conf", lib)),
        ENTRY_POINT, f"--home-dir={home}", f"--config-dir={home / 'conf'}", "--console-mode",
    ]  # fmt: skip
