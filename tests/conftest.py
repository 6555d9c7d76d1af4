"""Fixtures of the cross-service journeys: contacts-svc and consent-svc running together."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent))

from journeys_support import Platform, platform

from isoloir.localbroker import LocalBroker
from isoloir.testing.postgres import DatabaseFactory


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(
    broker: LocalBroker, databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """Both services for a whole module; each test works in a party of its own."""
    async with platform(
        broker=broker, databases=databases, import_dir=tmp_path_factory.mktemp("uploads")
    ) as both:
        yield both
