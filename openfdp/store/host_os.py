"""What the local server and the audit log need from the operating system, chosen per platform.

Nothing here imports a POSIX-only module (``fcntl``, ``resource``) at import time, so the
command line imports and answers ``--help`` on Linux, macOS and Windows alike.

Support, stated once:

- **Linux**: everything (the local Neo4j server, file locks with ``flock``).
- **macOS**: everything; a process's command line is read with ``ps`` (there is no
  ``/proc``) and ``fsync`` stands in for ``fdatasync``.
- **Windows**: the command line, the API and the audit log (locks with ``msvcrt``); the
  local Neo4j server is not started by openfdp: run Neo4j with ``deploy/compose.yaml`` or
  Neo4j Desktop and set ``NEO4J_URI`` (README, "Using an external Neo4j").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

LOCAL_SERVER_PLATFORMS = ("linux", "darwin")
LOCAL_SERVER_UNSUPPORTED = (
    "openfdp starts its own Neo4j server on Linux and macOS only (this is {platform}). "
    "Run Neo4j 5.26 elsewhere, e.g. `docker compose -f deploy/compose.yaml up -d` or "
    "Neo4j Desktop, and set NEO4J_URI (README, 'Using an external Neo4j')."
)


def local_server_supported(platform: str | None = None) -> bool:
    return (platform or sys.platform).startswith(LOCAL_SERVER_PLATFORMS)


def unsupported_message(platform: str | None = None) -> str:
    return LOCAL_SERVER_UNSUPPORTED.format(platform=platform or sys.platform)


def process_cmdline(pid: int) -> str | None:
    """The command line of a running process, or None when there is none (or it cannot be
    read on this platform)."""
    if sys.platform.startswith("linux"):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return raw.replace(b"\0", b" ").decode(errors="replace")
    if sys.platform == "darwin":
        done = subprocess.run(
            ["ps", "-ww", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return None
        return done.stdout.strip() or None
    return None


def raise_open_file_limit(target: int = 65536) -> None:
    """Raise the soft limit on open files (inherited by the JVM: Lucene and Netty want many
    descriptors). A no-op where the ``resource`` module does not exist (Windows)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def terminate(pid: int) -> None:
    """Ask a process to stop cleanly (SIGTERM; on Windows this ends it at once)."""
    os.kill(pid, signal.SIGTERM)


def kill(pid: int) -> None:
    """End a process that did not stop in time (SIGKILL where it exists)."""
    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


def sync_data(fd: int) -> None:
    """Make a file's data durable: ``fdatasync`` where it exists, else ``fsync`` (macOS,
    Windows)."""
    sync = getattr(os, "fdatasync", None) or os.fsync
    sync(fd)


def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` (``pwrite``, or seek and write where it is missing)."""
    pwrite = getattr(os, "pwrite", None)
    if pwrite is not None:
        pwrite(fd, data, offset)
        return
    os.lseek(fd, offset, os.SEEK_SET)
    os.write(fd, data)
