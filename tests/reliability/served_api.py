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
# Idle seconds before the server closes a kept-alive connection. uvicorn's default (5 s) is
# shorter than the gaps the load test's client can see between two requests on one pooled
# connection when client and server share a busy process; the server then closes the
# connection just as the client sends on it (httpx ReadError). Longer than any client
# timeout here, so the client's pool, not the server, decides when a connection is idle.
KEEP_ALIVE_S = 75


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_api(settings: Settings) -> Iterator[str]:
    """Start ``create_app(settings)`` under uvicorn; yield its base URL; stop it after."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_S,
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
