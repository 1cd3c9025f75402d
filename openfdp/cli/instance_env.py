"""An instance folder's settings file (``DIR/instance.env``, docs/federation.md "Instances").

``openfdp --instance DIR ...`` (or ``OPENFDP_INSTANCE_DIR=DIR``) loads ``DIR/instance.env``
into the environment before any settings are read, so every command runs against that
instance: its state folder, Neo4j port, API port, role, ODS code and keys. The variables of
the file win over the same variables already in the environment; variables the file does not
set (e.g. ``OPENFDP_NEO4J__HEAP``) pass through.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from dotenv import dotenv_values

from openfdp.settings import Settings, get_settings

INSTANCE_FILE = "instance.env"
INSTANCE_DIR_ENV = "OPENFDP_INSTANCE_DIR"


class InstanceNotFound(Exception):
    """The folder given as an instance holds no instance.env."""


def instance_file(folder: Path) -> Path:
    return folder.expanduser().resolve() / INSTANCE_FILE


def read_instance(folder: Path) -> dict[str, str]:
    """The variables of ``folder/instance.env`` (empty values left out)."""
    path = instance_file(folder)
    if not path.is_file():
        raise InstanceNotFound(
            f"{folder} is not an openfdp instance (no {INSTANCE_FILE}); "
            "create one with `openfdp instance init`"
        )
    return {k: v for k, v in dotenv_values(path).items() if v is not None and v != ""}


def use_instance(folder: Path) -> dict[str, str]:
    """Load the instance's variables into this process's environment; settings re-read."""
    values = read_instance(folder)
    os.environ.update(values)
    os.environ[INSTANCE_DIR_ENV] = str(folder.expanduser().resolve())
    get_settings.cache_clear()
    return values


def instance_environ(folder: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for a child process running against the instance in `folder`."""
    env = dict(os.environ if base is None else base)
    env.update(read_instance(folder))
    env[INSTANCE_DIR_ENV] = str(folder.expanduser().resolve())
    return env


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Write ``KEY=VALUE`` lines to a new file readable by its owner only (0600)."""
    lines = [f"{k}={v}" for k, v in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# openfdp instance settings (docs/federation.md); secrets: keep 0600\n")
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


_ENV_LOCK = threading.Lock()


def instance_settings(folder: Path) -> Settings:
    """The settings of the instance in `folder`, built without changing this process's
    environment (for minting its tokens, or opening its graph from a test). The environment is
    swapped for the call under a lock: two threads doing this at once would otherwise each save
    the other's values and leave one instance's settings behind in the process."""
    with _ENV_LOCK:
        saved = dict(os.environ)
        try:
            os.environ.update(read_instance(folder))
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)
