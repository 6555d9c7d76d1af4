"""contacts-svc's own Prometheus metrics, beside the kernel's (`contacts_*`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

from isoloir.service import Kernel

EXTRA_KEY = "contacts_metrics"


@dataclass(frozen=True)
class ContactsMetrics:
    import_rows: Counter
    import_duration: Histogram
    purged_contacts: Counter
    login_failures: Counter
    login_locked: Counter


@asynccontextmanager
async def hook(kernel: Kernel) -> AsyncIterator[None]:
    """Register the service's metrics on its registry for the app's lifetime."""
    m = kernel.metrics
    kernel.extras[EXTRA_KEY] = ContactsMetrics(
        import_rows=m.counter(
            "import_rows",
            "Rows read by imports, by outcome (created, merged, unchanged, duplicate, "
            "skipped, error).",
            ("outcome",),
        ),
        import_duration=m.histogram("import_duration", "Time to run one import."),
        purged_contacts=m.counter("purged_contacts", "Contacts deleted by the retention purge."),
        login_failures=m.counter("login_failures", "Failed logins (wrong credentials)."),
        login_locked=m.counter("login_locked", "Logins refused because the account is locked."),
    )
    yield


def of(kernel: Kernel) -> ContactsMetrics:
    found = kernel.extras[EXTRA_KEY]
    assert isinstance(found, ContactsMetrics)
    return found
