"""Fixtures of contacts-svc tests: one running service, a registered party and campaign."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The benchmark's file generator also makes the files of the import tests.
sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))

from world import World

from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from isoloir.testing.plugin import RunningService, running
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
    built = World(svc=contacts, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
    await built.register_party()
    await built.create_campaign()
    return built
