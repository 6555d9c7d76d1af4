"""consent-svc's own metrics, beside the kernel's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

from isoloir.service import Kernel

_KEY = "consent_metrics"


@dataclass(frozen=True)
class ConsentMetrics:
    pages_refused: Counter
    submissions: Counter
    optout_ack: Histogram
    optout_ack_pending: Counter


def of(kernel: Kernel) -> ConsentMetrics:
    """Return the service's metrics (installed by the hook at start-up)."""
    found: ConsentMetrics = kernel.extras[_KEY]
    return found


@asynccontextmanager
async def hook(kernel: Kernel) -> AsyncIterator[None]:
    """Register consent-svc's metrics in the app's registry."""
    m = kernel.metrics
    kernel.extras[_KEY] = ConsentMetrics(
        pages_refused=m.counter(
            "page_refusals", "Voter page requests refused, by page and reason.", ("page", "reason")
        ),
        submissions=m.counter("form_submissions", "Public form submissions recorded."),
        optout_ack=m.histogram(
            "optout_ack", "Time from an opt-out's commit to its publication, before acknowledging."
        ),
        optout_ack_pending=m.counter(
            "optout_ack_pending",
            "Opt-outs acknowledged as registered-and-being-applied (broker too slow or down).",
        ),
    )
    yield
