"""Fixtures of contacts-svc tests: one running service, a registered party and campaign."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent))
# The benchmark's file generator also makes the files of the import tests.
sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))

from world import World

from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens


@pytest.fixture
async def contacts(service_settings: Any, tmp_path: Path) -> AsyncIterator[RunningService]:
    settings = await service_settings(
        ContactsSettings, purge_interval_seconds=3600, import_dir=tmp_path / "uploads"
    )
    async with running(create_app(settings)) as svc:
        yield svc


@pytest.fixture
async def world(contacts: RunningService, tokens: Tokens) -> World:
    """A party with one campaign, ready to use."""
    return await World.build(contacts, tokens)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_contacts(
    broker: LocalBroker, databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningService]:
    """One service for a whole module whose tests each work in a party of their own."""
    settings = ContactsSettings(
        dev_mode=True,
        database_url=await databases.create("contacts"),
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=f"m{uuid.uuid4().hex[:10]}.",
        relay_poll_seconds=0.1,
        consumer_poll_ms=50,
        broker_timeout_seconds=3.0,
        consumer_session_timeout_ms=2_000,
        broker_keeps_state=False,
        import_dir=tmp_path_factory.mktemp("uploads"),
    )
    async with running(create_app(settings)) as svc:
        yield svc


@pytest_asyncio.fixture(loop_scope="module")
async def shared_world(shared_contacts: RunningService) -> World:
    """A new party with one campaign in the module's service (tokens of its own)."""
    return await World.build(shared_contacts, Tokens())
