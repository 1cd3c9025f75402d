"""The API served by uvicorn on a free loopback port, in a background thread of the test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from openfdp.api.app import create_app
from openfdp.settings import Settings

START_BOUND_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_api(settings: Settings) -> Iterator[str]:
    """Start ``create_app(settings)`` under uvicorn; yield its base URL; stop it after."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="openfdp-api", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_BOUND_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
