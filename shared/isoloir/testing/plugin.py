"""Pytest fixtures: a real broker process, fresh PostgreSQL databases, running services.

Loaded with ``-p isoloir.testing.plugin`` (see the root pyproject). Nothing here depends
on a process started by hand: the broker is started on a free port, databases are
created on the machine's PostgreSQL and dropped at the end of the run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from isoloir.localbroker import LocalBroker
from isoloir.service import Kernel
from isoloir.settings import ServiceSettings
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens

S = TypeVar("S", bound=ServiceSettings)


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalBroker]:
    """A broker shared by the run; tests isolate themselves with their own topic prefix."""
    local = LocalBroker()
    local.start()
    yield local
    local.stop()


@pytest.fixture
def own_broker() -> Iterator[LocalBroker]:
    """A broker for this test alone, free to be stopped and restarted."""
    local = LocalBroker()
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def databases() -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory()
    yield factory
    factory.drop_all_sync()


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> str:
    """A fresh, empty PostgreSQL database."""
    return await databases.create()


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of this test's own, so tests sharing the broker never see each other."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def kernel(self) -> Kernel:
        kernel: Kernel = self.app.state.kernel
        return kernel


ServiceRunner = Callable[..., Any]


@pytest.fixture
def service_settings(
    broker: LocalBroker, topic_prefix: str, databases: DatabaseFactory
) -> Callable[..., Any]:
    """Return `async make(settings_cls, **overrides)` building test settings on a fresh DB."""

    async def make(settings_cls: type[S], **overrides: Any) -> S:
        values: dict[str, Any] = {
            "dev_mode": True,
            "kafka_bootstrap_servers": broker.bootstrap,
            "topic_prefix": topic_prefix,
            "relay_poll_seconds": 0.1,
            "consumer_poll_ms": 50,
            "broker_timeout_seconds": 3.0,
            "consumer_session_timeout_ms": 2_000,
            "broker_keeps_state": False,
        }
        values.update(overrides)
        if "database_url" not in values:
            values["database_url"] = await databases.create(settings_cls.service_name)
        return settings_cls(**values)

    return make


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[RunningService]:
    """Run an app's lifespan and give an HTTP client bound to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield RunningService(app=app, client=client, settings=app.state.kernel.settings)


@pytest.fixture
def run_service() -> Callable[[FastAPI], Any]:
    """Return `running(app)`: ``async with run_service(create_app(settings)) as svc: ...``."""
    return running
