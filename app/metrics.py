"""Prometheus metrics, in a registry owned by one app instance (never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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
