"""The ledger (R11): entries with evidence, chained per campaign, tamper-evident."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import support
from support import manager

from consent_svc.app import create_app
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


async def campaign_with_entries(
    svc: RunningService, tokens: Tokens, count: int = 3
) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    campaign = uuid.uuid4()
    await support.purpose(svc, tokens, campaign)
    contact = await support.known_contact(svc, campaign, email="a@example.org")
    entries = [await support.grant(svc, tokens, campaign, contact, note="signed at the market")]
    for i in range(count - 1):
        state = "withdrawn" if i % 2 == 0 else "granted"
        extra: dict[str, Any] = {"state": state}
        if state == "withdrawn":
            extra["notice"] = None
        entries.append(await support.grant(svc, tokens, campaign, contact, **extra))
    return campaign, entries


async def verify(svc: RunningService, tokens: Tokens, campaign: uuid.UUID) -> dict[str, Any]:
    response = await svc.client.get(
        f"/v1/campaigns/{campaign}/ledger/verify", headers=manager(tokens, campaign)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestEntries:
    async def test_r11_an_entry_keeps_its_full_evidence(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        contact = await support.known_contact(svc, campaign, email="b@example.org")
        staff = str(uuid.uuid4())

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            json={
                "channel": "email",
                "purpose": "newsletter",
                "state": "granted",
                "method": "canvassing",
                "occurred_at": "2026-11-20T10:15:00+01:00",
                "notice": {"text": "Texte de la notice v2", "language": "fr"},
            },
            headers=tokens.headers(campaign_id=campaign, roles=["volunteer"], subject=staff),
        )

        assert response.status_code == 201, response.text
        entry = response.json()
        assert entry["seq"] == 1
        assert entry["state"] == "granted"
        assert entry["method"] == "canvassing"
        assert entry["collector"] == staff
        assert entry["occurred_at"].startswith("2026-11-20T09:15:00")
        notice = await svc.client.get(
            f"/v1/campaigns/{campaign}/notices/{entry['notice_sha256']}",
            headers=manager(tokens, campaign),
        )
        assert notice.json()["text"] == "Texte de la notice v2"

    async def test_each_change_is_appended_and_states_show_the_latest(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, entries = await campaign_with_entries(svc, tokens, count=2)
        contact = entries[0]["contact_id"]

        states = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            headers=manager(tokens, campaign),
        )
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
            headers=manager(tokens, campaign),
        )

        assert [s["state"] for s in states.json()["states"]] == ["withdrawn"]
        assert [e["state"] for e in history.json()] == ["granted", "withdrawn"]
        assert history.json()[1]["previous_state"] == "granted"
        assert history.json()[1]["prev_hash"] == history.json()[0]["entry_hash"]

    async def test_a_withdrawal_takes_the_next_opt_out_number(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _campaign, entries = await campaign_with_entries(svc, tokens, count=2)

        watermark = await svc.client.get(
            "/v1/optout-watermark", headers=tokens.headers(campaign_id=None, roles=["ops_viewer"])
        )

        assert entries[0]["optout_seq"] is None
        assert entries[1]["optout_seq"] >= 1
        assert watermark.json()["optout_seq"] >= entries[1]["optout_seq"]


class TestVerification:
    async def test_r11_an_untouched_chain_verifies(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, _ = await campaign_with_entries(svc, tokens, count=4)

        report = await verify(svc, tokens, campaign)

        assert report["ok"] is True
        assert report["entries_checked"] == 4
        assert report["head_seq"] == 4
        assert report["first_failure"] is None

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("channel", "'sms'"),
            ("purpose", "'other'"),
            ("state", "'refused'"),
            ("previous_state", "'pending'"),
            ("method", "'web_form'"),
            ("collector", "'someone-else'"),
            ("form_version", "7"),
            ("notice_sha256", "'" + "a" * 64 + "'"),
            ("language", "'en'"),
            ("call_window", "'{\"weekdays\": [7]}'"),
            ("reason", "'altered'"),
            ("source_ref", "'altered'"),
            ("occurred_at", "occurred_at - interval '1 day'"),
            ("recorded_at", "recorded_at + interval '1 second'"),
            ("optout_seq", "999"),
            ("personal_digest", "'" + "b" * 64 + "'"),
            ("prev_hash", "'" + "c" * 64 + "'"),
            ("entry_hash", "'" + "d" * 64 + "'"),
            ("contact_id", "gen_random_uuid()"),
            ("personal_salt", "'00000000000000000000000000000000'"),
            ("ip_address", "'10.0.0.1'"),
            ("user_agent", "'forged'"),
            ("note", "'forged note'"),
            ("erased_at", "now()"),
            ("id", "gen_random_uuid()"),
            ("seq", "seq + 100"),
            ("campaign_id", "gen_random_uuid()"),
        ],
    )
    async def test_r11_altering_any_stored_column_fails_and_names_the_entry(
        self, svc: RunningService, tokens: Tokens, column: str, value: str
    ) -> None:
        campaign, entries = await campaign_with_entries(svc, tokens, count=3)
        target = entries[1]
        cast = "::json" if column == "call_window" else ""
        await support.sql(
            svc,
            f"UPDATE consent_entries SET {column} = {value}{cast} WHERE id = :id",
            id=target["id"],
        )

        report = await verify(svc, tokens, campaign)

        assert report["ok"] is False, column
        failure = report["first_failure"]
        assert failure["seq"] == 2, (column, failure)
        assert failure["reason"], column
        if column not in ("id", "seq", "campaign_id"):
            assert failure["entry_id"] == target["id"], (column, failure)

    async def test_r11_a_deleted_entry_is_named_by_its_number(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, entries = await campaign_with_entries(svc, tokens, count=3)
        await support.sql(svc, "DELETE FROM consent_entries WHERE id = :id", id=entries[1]["id"])

        report = await verify(svc, tokens, campaign)

        assert report["ok"] is False
        assert report["first_failure"]["seq"] == 2
        assert "missing" in report["first_failure"]["reason"]

    async def test_r11_removing_the_last_entries_is_detected(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, entries = await campaign_with_entries(svc, tokens, count=3)
        await support.sql(svc, "DELETE FROM consent_entries WHERE id = :id", id=entries[2]["id"])

        report = await verify(svc, tokens, campaign)

        assert report["ok"] is False
        assert report["first_failure"]["seq"] == 3
        assert "chain head" in report["first_failure"]["reason"]

    async def test_r11_altering_a_stored_notice_text_is_detected(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, entries = await campaign_with_entries(svc, tokens, count=1)
        await support.sql(
            svc,
            "UPDATE consent_notices SET text = 'rewritten' WHERE sha256 = :sha",
            sha=entries[0]["notice_sha256"],
        )

        report = await verify(svc, tokens, campaign)

        assert report["ok"] is False
        assert report["first_failure"]["entry_id"] == entries[0]["id"]
        assert "notice" in report["first_failure"]["reason"]

    async def test_a_campaigns_chain_does_not_depend_on_anothers(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        damaged, entries = await campaign_with_entries(svc, tokens, count=2)
        healthy, _ = await campaign_with_entries(svc, tokens, count=2)
        await support.sql(
            svc, "UPDATE consent_entries SET note = 'x' WHERE id = :id", id=entries[0]["id"]
        )

        assert (await verify(svc, tokens, damaged))["ok"] is False
        assert (await verify(svc, tokens, healthy))["ok"] is True


class TestConcurrentAppends:
    async def test_two_replicas_appending_at_once_keep_one_gapless_chain(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        contacts = [await support.known_contact(svc, campaign) for _ in range(4)]
        # A second replica: same database, same topics, its own process state.
        replica_settings = svc.settings.model_copy()
        async with running(create_app(replica_settings)) as replica:  # type: ignore[arg-type]

            async def write(node: RunningService, i: int) -> int:
                contact = contacts[i % len(contacts)]
                body = {
                    "channel": ["email", "sms", "phone", "post"][i % 4],
                    "purpose": "newsletter",
                    "state": "granted" if i % 3 else "withdrawn",
                    "method": "staff_entry",
                    "notice": support.NOTICE,
                }
                response = await node.client.post(
                    f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
                    json=body,
                    headers=manager(tokens, campaign),
                )
                assert response.status_code == 201, response.text
                return int(response.json()["seq"])

            seqs = await asyncio.gather(*(write(svc if i % 2 else replica, i) for i in range(40)))

        report = await verify(svc, tokens, campaign)
        assert sorted(seqs) == list(range(1, 41))
        assert report["ok"] is True
        assert report["entries_checked"] == 40


class TestEmbeddedDatabase:
    async def test_the_ledger_works_and_verifies_on_sqlite(
        self, broker: LocalBroker, databases: DatabaseFactory, tokens: Tokens, tmp_path: Any
    ) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'consent.db'}"
        async with support.consent_service(broker, databases, database_url=url) as lite:
            campaign = uuid.uuid4()
            await support.purpose(lite, tokens, campaign)
            contact = await support.known_contact(lite, campaign, email="lite@example.org")
            results = await asyncio.gather(
                *(
                    support.grant(lite, tokens, campaign, contact, channel=channel)
                    for channel in ("email", "sms", "phone")
                )
            )
            withdrawn = await support.grant(
                lite, tokens, campaign, contact, state="withdrawn", notice=None
            )

            report = await verify(lite, tokens, campaign)
            watermark = await lite.client.get(
                "/v1/optout-watermark", headers=manager(tokens, campaign)
            )

        assert sorted(r["seq"] for r in results) == [1, 2, 3]
        assert report["ok"] is True
        assert report["entries_checked"] == 4
        assert watermark.json()["optout_seq"] == withdrawn["optout_seq"] == 1


class TestOptoutNumbers:
    async def test_concurrent_opt_outs_in_several_campaigns_are_numbered_without_gaps(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaigns = [uuid.uuid4(), uuid.uuid4()]
        people = []
        for campaign in campaigns:
            await support.purpose(svc, tokens, campaign)
            people += [(campaign, await support.known_contact(svc, campaign)) for _ in range(3)]
        watermark_url = "/v1/optout-watermark"
        before = (await svc.client.get(watermark_url, headers=manager(tokens, campaigns[0]))).json()

        results = await asyncio.gather(
            *(
                support.grant(
                    svc, tokens, campaign, contact, channel=channel, state="withdrawn", notice=None
                )
                for campaign, contact in people
                for channel in ("email", "sms", "phone")
            )
        )
        after = (await svc.client.get(watermark_url, headers=manager(tokens, campaigns[0]))).json()

        numbers = sorted(r["optout_seq"] for r in results)
        assert numbers == list(range(before["optout_seq"] + 1, after["optout_seq"] + 1))
        assert len(numbers) == 18
