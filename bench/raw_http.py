"""The fourth API target: the pathway read behind the thinnest HTTP handler.

A bare ASGI app (uvicorn, same event loop and HTTP parser as openfdp) that answers
``POST /pathway`` with ``{"variables": {"issuer", "ppid"}}`` by running the same Cypher statement as
openfdp (``PATHWAY_BY_ID``, the scope fixed to the ICB's trusts) through the async driver
and returning the row as JSON. No authentication, no GraphQL, no audit, no metrics: what
any HTTP service costs on top of the driver, so the benchmark can tell that apart from what
openfdp itself adds.

    uvicorn --factory bench.raw_http:create_app   (bench/api.py starts it)
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from openfdp.settings import get_settings
from openfdp.store.driver import open_async_driver
from openfdp.store.queries import pathways as pathway_q
from openfdp.store.queries import read_rows


def create_app() -> Any:
    settings = get_settings()
    providers = [p for p in os.environ.get("BENCH_PROVIDERS", "").split(",") if p]
    state: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    state["driver"] = open_async_driver(settings)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await state["driver"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] != "/pathway":  # readiness probe
            payload, status = b"{}", 200
        else:
            request = orjson.loads(body)["variables"]
            params = {"issuer": request["issuer"], "ppid": request["ppid"],
                      "providers": providers, "exclude_opted_out": True}  # fmt: skip
            rows = await read_rows(
                state["driver"], settings.neo4j.database, pathway_q.PATHWAY_BY_ID, params
            )
            payload = orjson.dumps({"data": rows[0] if rows else None}, default=str)
            status = 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})

    return app
