"""The `isoloir ledger verify` command against consent-svc served on a real socket."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import support
from typer.testing import CliRunner

from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens
from isoloir_cli.ledger import ledger_app

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.served_service(broker, databases) as svc:
        yield svc


class TestLedgerCommand:
    async def test_the_command_reports_a_sound_chain_then_names_the_altered_entry(
        self, served: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(served, tokens, campaign)
        contact = await support.known_contact(served, campaign)
        first = await support.grant(served, tokens, campaign, contact)
        await support.grant(served, tokens, campaign, contact, channel="sms")
        args = [
            "verify",
            "--url",
            served.settings.public_base_url,
            "--campaign",
            str(campaign),
            "--token",
            tokens.mint(campaign_id=campaign, roles=["campaign_manager"]),
        ]
        runner = CliRunner()

        sound = await asyncio.to_thread(runner.invoke, ledger_app, args)
        await support.sql(
            served, "UPDATE consent_entries SET method = 'web_form' WHERE id = :id", id=first["id"]
        )
        broken = await asyncio.to_thread(runner.invoke, ledger_app, args)
        refused = await asyncio.to_thread(
            runner.invoke, ledger_app, [*args[:-1], tokens.mint(campaign_id=uuid.uuid4())]
        )

        assert sound.exit_code == 0, sound.output
        assert "the chain verifies" in sound.output
        assert "2" in sound.output
        assert broken.exit_code == 1, broken.output
        assert "entry #1 does not verify" in broken.output
        assert first["id"] in broken.output
        assert refused.exit_code == 2
        assert "403" in refused.output
