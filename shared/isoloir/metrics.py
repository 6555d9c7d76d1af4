"""Prometheus metrics: one registry per app, names `<svc>_<thing>_total` / `_seconds`."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """The kernel's metrics for one service; services add theirs with `counter()` etc."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        p = service
        self.http_requests = Counter(
            f"{p}_http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            f"{p}_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.events_published = Counter(
            f"{p}_events_published_total",
            "Events the outbox relay published.",
            ["event_type"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            f"{p}_outbox_pending",
            "Events written to the outbox and not yet published.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            f"{p}_outbox_oldest_age_seconds",
            "Age of the oldest event still waiting in the outbox.",
            registry=self.registry,
        )
        self.relay_failures = Counter(
            f"{p}_relay_failures_total",
            "Relay rounds that could not publish (broker unreachable or failing).",
            registry=self.registry,
        )
        self.events_consumed = Counter(
            f"{p}_events_consumed_total",
            "Events read by the consumer, by type and outcome "
            "(applied, duplicate, ignored, dead_letter).",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.handler_duration = Histogram(
            f"{p}_event_handling_seconds",
            "Time to apply one event, processed-event record included.",
            ["event_type"],
            registry=self.registry,
        )
        self.consumer_errors = Counter(
            f"{p}_consumer_errors_total",
            "Consumer failures that paused consumption (database or broker unreachable).",
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            f"{p}_dependency_up",
            "1 when a dependency answered the last readiness check, else 0.",
            ["dependency"],
            registry=self.registry,
        )

    def counter(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        """Add a service counter named `<svc>_<name>_total`."""
        return Counter(f"{self.service}_{name}_total", doc, list(labels), registry=self.registry)

    def gauge(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        """Add a service gauge named `<svc>_<name>`."""
        return Gauge(f"{self.service}_{name}", doc, list(labels), registry=self.registry)

    def histogram(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Histogram:
        """Add a service histogram named `<svc>_<name>_seconds`."""
        return Histogram(
            f"{self.service}_{name}_seconds", doc, list(labels), registry=self.registry
        )

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def route_template(scope: Scope) -> str:
    """Return the matched route's path template (never the raw path: it may carry tokens)."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_access = logging.getLogger("isoloir.access")


class ObserveRequests:
    """Count, time and log every request by route template (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope["method"]
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(method, route).observe(elapsed)
            if scope["path"] not in _QUIET_PATHS:
                _access.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 1),
                    },
                )


def install(app: FastAPI, metrics: Metrics) -> None:
    """Count, time and log every request, and serve /metrics."""
    app.add_middleware(ObserveRequests, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        return metrics.render()
