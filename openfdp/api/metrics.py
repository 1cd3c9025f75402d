"""Prometheus metrics: request counts and latency by route and outcome, one registry per app."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "openfdp_http_requests_total",
            "HTTP requests by route, method and outcome",
            ["route", "method", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "openfdp_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route", "method"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _outcome(status: int) -> str:
    return f"{status // 100}xx"


class MetricsMiddleware:
    """Counts every HTTP request under its route template (unknown paths share one label)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    @staticmethod
    def _route(scope: Scope) -> str:
        """The matched route's template (set on the scope by the router), else "other"."""
        route = scope.get("route")
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        return str(path) if path else "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", ""))
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = self._route(scope)
            self.metrics.requests.labels(route, method, _outcome(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
