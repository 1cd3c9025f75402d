"""A second, throw-away server: start, stop cleanly, start again on the same data."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from openfdp.store import local_server

from ..conftest import make_test_settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_start_stop_start_keeps_data(tmp_path: Path) -> None:
    settings = make_test_settings(
        state_dir=tmp_path / "state",
        neo4j={
            "bolt_port": _free_port(),
            "password": "lifecycle-pass-1",
            "heap": "512m",
            "pagecache": "128m",
        },
    )
    try:
        info = local_server.start(settings)
        assert info.version.startswith("5.26.") and not info.reused
        assert local_server.running_pid(settings) == info.pid
        assert local_server.stop(settings) is True
        assert local_server.running_pid(settings) is None
        assert local_server.stop(settings) is False  # stopping twice is harmless
        again = local_server.start(settings)  # same data folder, password already set
        assert again.pid != info.pid
    finally:
        local_server.stop(settings)
