"""A lean HTTP/1.1 keep-alive client for the API benchmark.

Each concurrent client owns one connection and sends each request as one write with
TCP_NODELAY, then reads the response (Content-Length or chunked). It does the least
client-side work an HTTP client can do, so that the benchmark measures the servers and not
the client library: with httpx in the benchmark process, the client's own CPU time per
request was larger than some of the server figures being compared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any


class HttpError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.reader, self.writer

    async def post_json(
        self, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Content-Type: application/json", "Accept: application/json",
                f"Content-Length: {len(payload)}"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        reader, writer = await self._connect()
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status, raw = await self._response(reader)
        return status, json.loads(raw) if raw else None

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise HttpError(f"not an HTTP response: {lines[0]!r}") from exc
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
        }
        if "content-length" in fields:
            return status, await reader.readexactly(int(fields["content-length"]))
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    return status, bytes(body)
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        raise HttpError("response has neither Content-Length nor chunked encoding")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
