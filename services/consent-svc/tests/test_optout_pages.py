"""Unsubscribe (R4) and the preference centre: signed links, acknowledged only once published."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
import sqlalchemy as sa
import support
from pages_support import FORM_TYPE, csrf_of, preference_path, states, unsubscribe_path
from support import manager

from consent_svc import links
from isoloir import signing
from isoloir.db import outbox_table, utcnow
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
ONE_CLICK = b"List-Unsubscribe=One-Click"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


async def granted_contact(
    svc: RunningService,
    tokens: Tokens,
    *,
    email: str = "lou@example.org",
    phone: str | None = None,
    campaign: uuid.UUID | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    campaign = campaign or uuid.uuid4()
    await support.purpose(svc, tokens, campaign)
    phone = phone or f"0612{uuid.uuid4().int % 10**6:06d}"
    contact = await support.known_contact(svc, campaign, email=email, phone=phone)
    await support.grant(svc, tokens, campaign, contact, channel="email")
    await support.grant(svc, tokens, campaign, contact, channel="sms")
    return campaign, contact


async def pending_outbox(svc: RunningService, event_type: str) -> int:
    async with svc.kernel.sessionmaker() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.event_type == event_type)
        )
    return int(count or 0)


class TestUnsubscribe:
    async def test_r04_the_link_shows_a_confirmation_and_changes_nothing(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await unsubscribe_path(svc, tokens, campaign, contact)

        page = await svc.client.get(path)

        assert page.status_code == 200
        assert "Vous ne recevrez plus de messages par e-mail." in page.text
        assert await states(svc, tokens, campaign, contact) == {
            "email:newsletter": "granted",
            "sms:newsletter": "granted",
        }

    async def test_r04_a_one_click_post_withdraws_the_channel_at_once_and_publishes_first(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await unsubscribe_path(svc, tokens, campaign, contact)

        response = await svc.client.post(path, content=ONE_CLICK, headers=FORM_TYPE)

        assert response.status_code == 200, response.text
        assert "Vous êtes désinscrit(e)" in response.text
        assert await states(svc, tokens, campaign, contact) == {
            "email:newsletter": "withdrawn",
            "sms:newsletter": "granted",
        }
        # Acknowledged only once published: nothing of it is left in the outbox.
        assert await pending_outbox(svc, "consent.withdrawn") == 0

    async def test_r04_the_withdrawal_is_on_the_topic_with_an_opt_out_number_under_the_watermark(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await unsubscribe_path(svc, tokens, campaign, contact)

        async with support.topic_reader(svc) as reader:
            await svc.client.post(path, content=ONE_CLICK, headers=FORM_TYPE)
            event = await reader.wait_for(
                lambda e: e.event_type == "consent.withdrawn" and e.key == str(contact)
            )
        watermark = await svc.client.get("/v1/optout-watermark", headers=manager(tokens, campaign))

        assert event.payload["method"] == "unsubscribe_link"
        assert 0 < event.payload["optout_seq"] <= watermark.json()["optout_seq"]

    async def test_r04_the_confirmation_form_needs_its_csrf_token(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await unsubscribe_path(svc, tokens, campaign, contact)

        response = await svc.client.post(path, data={"scope": "party"})

        assert response.status_code == 403
        assert (await states(svc, tokens, campaign, contact))["email:newsletter"] == "granted"

    async def test_r04_a_forged_or_altered_link_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await unsubscribe_path(svc, tokens, campaign, contact)
        altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")

        get = await svc.client.get(altered)
        post = await svc.client.post(altered, content=ONE_CLICK, headers=FORM_TYPE)

        assert (get.status_code, post.status_code) == (403, 403)
        assert (await states(svc, tokens, campaign, contact))["email:newsletter"] == "granted"

    async def test_r04_choosing_the_whole_party_withdraws_every_campaign_and_opposes(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        phone = f"0612{uuid.uuid4().int % 10**6:06d}"
        campaign_a, contact_a = await granted_contact(svc, tokens, email=email, phone=phone)
        campaign_b, contact_b = await granted_contact(svc, tokens, email=email, phone=phone)
        path = await unsubscribe_path(svc, tokens, campaign_a, contact_a)
        page = await svc.client.get(path)

        async with support.topic_reader(svc) as reader:
            response = await svc.client.post(
                path, data={"csrf": csrf_of(page.text), "scope": "party"}
            )
            added = await reader.wait_for(
                lambda e: e.event_type == "opposition.added" and e.key == str(contact_a)
            )
        check = await svc.client.post(
            f"/v1/campaigns/{campaign_b}/opposition/check",
            json={"email": email, "phone": phone},
            headers=manager(tokens, campaign_b),
        )

        assert response.status_code == 200, response.text
        assert (await states(svc, tokens, campaign_a, contact_a))["email:newsletter"] == "withdrawn"
        assert (await states(svc, tokens, campaign_b, contact_b))["email:newsletter"] == "withdrawn"
        assert (await states(svc, tokens, campaign_b, contact_b))["sms:newsletter"] == "granted"
        assert check.json() == {"listed": True, "email_listed": True, "phone_listed": True}
        assert added.payload["source"] == "party_unsubscribe"
        assert added.payload["optout_seq"] > 0
        assert set(added.payload) >= {"email_hash", "phone_hash"}


class TestUnsubscribeWithoutBroker:
    async def test_r04_when_the_broker_is_down_the_page_says_registered_not_done(
        self, own_broker: LocalBroker, databases: DatabaseFactory, tokens: Tokens
    ) -> None:
        async with support.consent_service(own_broker, databases, ack_timeout_seconds=1.0) as svc:
            campaign, contact = await granted_contact(svc, tokens)
            path = await unsubscribe_path(svc, tokens, campaign, contact)
            own_broker.stop()

            response = await svc.client.post(path, content=ONE_CLICK, headers=FORM_TYPE)

            assert response.status_code == 202
            assert "enregistrée et en cours d&#39;application" in response.text
            assert (await states(svc, tokens, campaign, contact))["email:newsletter"] == "withdrawn"
            assert await pending_outbox(svc, "consent.withdrawn") == 1
            own_broker.start()
            await eventually(lambda: _is_zero(pending_outbox(svc, "consent.withdrawn")), timeout=30)


async def _is_zero(value: object) -> bool:
    return (await value) == 0  # type: ignore[misc]


class TestPreferenceCentre:
    async def test_the_page_shows_each_channel_and_purpose_with_its_state(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        await support.published_form(svc, tokens, campaign)
        await support.grant(
            svc, tokens, campaign, contact, channel="sms", state="withdrawn", notice=None
        )
        path = await preference_path(svc, tokens, campaign, contact)

        page = await svc.client.get(path)

        assert page.status_code == 200
        assert page.text.count('type="checkbox"') == 2
        assert 'value="email:newsletter" checked' in page.text
        assert 'value="sms:newsletter">' in page.text
        assert "accepté" in page.text
        assert "retiré" in page.text

    async def test_changes_are_recorded_with_their_evidence(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        await support.published_form(svc, tokens, campaign)
        await support.grant(
            svc, tokens, campaign, contact, channel="sms", state="withdrawn", notice=None
        )
        path = await preference_path(svc, tokens, campaign, contact)
        page = await svc.client.get(path)

        response = await svc.client.post(
            path, data={"csrf": csrf_of(page.text), "consent": ["sms:newsletter"]}
        )

        assert response.status_code == 200, response.text
        assert await states(svc, tokens, campaign, contact) == {
            "email:newsletter": "withdrawn",
            "sms:newsletter": "granted",
        }
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
            headers=manager(tokens, campaign),
        )
        latest = {e["channel"]: e for e in history.json()}
        assert latest["sms"]["method"] == "preference_centre"
        assert latest["sms"]["notice_sha256"]
        assert latest["sms"]["form_version"] == 1
        assert latest["email"]["method"] == "preference_centre"
        assert latest["email"]["ip_address"] == "127.0.0.1"
        assert await pending_outbox(svc, "consent.withdrawn") == 0

    async def test_a_forged_link_opens_nothing(self, svc: RunningService, tokens: Tokens) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        path = await preference_path(svc, tokens, campaign, contact)
        unsubscribe = await unsubscribe_path(svc, tokens, campaign, contact)

        forged = await svc.client.get(path + "x")
        wrong_kind = await svc.client.get("/p/" + unsubscribe.removeprefix("/u/"))

        assert (forged.status_code, wrong_kind.status_code) == (403, 403)
        assert "pas valide" in forged.text

    async def test_a_link_is_minted_only_for_a_contact_of_the_campaign(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, _ = await granted_contact(svc, tokens)
        other_campaign, other_contact = await granted_contact(svc, tokens)

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{other_contact}/preference-link",
            headers=manager(tokens, campaign),
        )

        assert response.status_code == 404
        assert other_campaign != campaign


class TestLinkExpiry:
    async def test_an_expired_preference_link_opens_nothing(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        expired = signing.sign_link(
            secret=svc.settings.link_secret,  # type: ignore[attr-defined]
            purpose=links.PREFERENCES,
            claims={"cmp": str(campaign), "c": str(contact)},
            ttl=timedelta(seconds=-1),
        )
        fresh, expires_at = links.preference_link(
            svc.settings,  # type: ignore[arg-type]
            campaign_id=campaign,
            contact_id=contact,
        )

        response = await svc.client.get(f"/p/{expired}")

        assert response.status_code == 403
        assert "expiré" in response.text
        assert expires_at > utcnow() + timedelta(days=29)
        assert (await svc.client.get("/p/" + fresh.split("/p/", 1)[1])).status_code == 200


class TestChannelOptOut:
    async def test_r04_an_sms_stop_withdraws_the_channel_for_every_purpose_once_published(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens)
        await support.purpose(svc, tokens, campaign, key="events")
        await support.grant(svc, tokens, campaign, contact, channel="sms", purpose="events")

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/opt-outs",
            json={"channel": "sms", "method": "sms_reply", "message_id": "sms-42"},
            headers=manager(tokens, campaign),
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["published"] is True
        assert body["opposition_added"] is False
        assert sorted((e["purpose"], e["method"]) for e in body["entries"]) == [
            ("events", "sms_reply"),
            ("newsletter", "sms_reply"),
        ]
        assert await states(svc, tokens, campaign, contact) == {
            "email:newsletter": "granted",
            "sms:events": "withdrawn",
            "sms:newsletter": "withdrawn",
        }
        assert await pending_outbox(svc, "consent.withdrawn") == 0

    async def test_r04_a_party_wide_opt_out_also_opposes_the_person(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await granted_contact(svc, tokens, email="stop@example.org")

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/opt-outs",
            json={"channel": "sms", "method": "sms_reply", "whole_party": True},
            headers=manager(tokens, campaign),
        )

        assert response.status_code == 200, response.text
        assert response.json()["opposition_added"] is True

    async def test_an_opt_out_for_an_unknown_contact_is_a_404(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{uuid.uuid4()}/opt-outs",
            json={"channel": "sms", "method": "sms_reply"},
            headers=manager(tokens, campaign),
        )

        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
