"""Prometheus metrics, in a registry owned by one app instance (never the global one)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STAGE_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "careerqa_requests_total", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "careerqa_request_seconds", "HTTP request latency", ["route"],
            buckets=_STAGE_BUCKETS, registry=self.registry,
        )
        self.stage = Histogram(
            "careerqa_stage_seconds", "Time per answering stage", ["stage"],
            buckets=_STAGE_BUCKETS, registry=self.registry,
        )
        self.checks = Counter(
            "careerqa_citation_checks_total", "Citation checks by outcome", ["passed"],
            registry=self.registry,
        )

    def observe_answer(self, timings_ms: dict[str, float], passed: bool | None) -> None:
        for stage, ms in timings_ms.items():
            self.stage.labels(stage).observe(ms / 1000)
        if passed is not None:
            self.checks.labels("true" if passed else "false").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Counts each HTTP request by route and status and times it to its response start.

    A plain ASGI middleware: Starlette's `@app.middleware("http")` runs every request
    through an extra task and memory streams, ~1 ms a request in `careerqa bench query`'s
    in-process client (3.5 vs 4.5 ms for an echo route, interleaved, at load 19).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The router has put the matched route into the scope by now.
                path = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.requests.labels(path, str(message["status"])).inc()
                self.metrics.latency.labels(path).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, observed)
