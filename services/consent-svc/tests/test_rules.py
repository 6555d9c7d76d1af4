"""The compliance rules consent-svc enforces: R3, R11, R12, R13, R16 (R4 in test_pages)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
import support
from support import NOTICE, WINDOW, manager

from consent_svc import maintenance
from isoloir.db import utcnow
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


async def setup(
    svc: RunningService, tokens: Tokens, kind: str = "regular"
) -> tuple[uuid.UUID, uuid.UUID]:
    campaign = uuid.uuid4()
    await support.purpose(svc, tokens, campaign)
    contact = await support.known_contact(svc, campaign, kind=kind)
    return campaign, contact


async def record(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, contact: uuid.UUID, **body: Any
) -> Any:
    payload = {
        "channel": "email",
        "purpose": "newsletter",
        "state": "granted",
        "method": "paper_form",
    }
    payload.update(body)
    return await svc.client.post(
        f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
        json=payload,
        headers=manager(tokens, campaign),
    )


def assert_refused(response: Any, rule: str | None, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if rule is not None:
        assert body["rule"] == rule, body
    return body


async def history(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, contact: uuid.UUID
) -> Any:
    return await svc.client.get(
        f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
        headers=manager(tokens, campaign),
    )


class TestR11OneConsentPerChannelAndPurpose:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("channel", ["email", "sms"]),
            ("channel", "all"),
            ("channel", "email,sms"),
            ("purpose", ["newsletter", "events"]),
            ("purpose", "all"),
            ("purpose", "*"),
        ],
    )
    async def test_r11_a_bundled_channel_or_purpose_is_refused(
        self, svc: RunningService, tokens: Tokens, field: str, value: Any
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(svc, tokens, campaign, contact, notice=NOTICE, **{field: value})

        body = assert_refused(response, None)
        assert body["errors"][0]["field"] == f"body.{field}"
        assert "R11" in body["errors"][0]["reason"]
        assert (await history(svc, tokens, campaign, contact)).status_code == 404

    async def test_r11_a_grant_without_the_notice_shown_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(svc, tokens, campaign, contact)

        body = assert_refused(response, "R11")
        assert body["errors"] == [{"field": "notice", "reason": "required when state is granted"}]

    async def test_r11_a_form_with_a_pre_ticked_box_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        offers = [{"channel": "email", "purpose": "newsletter", "default_checked": True}]

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(offers=offers),
            headers=manager(tokens, campaign),
        )

        body = assert_refused(response, "R11")
        assert body["errors"][0]["field"] == "offers.0.default_checked"

    async def test_r11_a_form_offer_bundling_channels_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        offers = [{"channel": "all", "purpose": "newsletter"}]

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(offers=offers),
            headers=manager(tokens, campaign),
        )

        body = assert_refused(response, None)
        assert body["errors"][0]["field"] == "body.offers.0.channel"


class TestR12AskOccasionalContactsOnce:
    async def test_r12_a_second_request_to_an_occasional_contact_is_refused_with_the_first_date(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")
        url = f"/v1/campaigns/{campaign}/consent-requests"
        ask = {"contact_id": str(contact), "asks": [{"channel": "email", "purpose": "newsletter"}]}
        first = await svc.client.post(url, json=ask, headers=manager(tokens, campaign))
        assert first.status_code == 201, first.text

        ask["asks"] = [{"channel": "sms", "purpose": "newsletter"}]
        second = await svc.client.post(url, json=ask, headers=manager(tokens, campaign))

        body = assert_refused(second, "R12")
        assert body["first_requested_at"][:19] == first.json()["requested_at"][:19]
        assert first.json()["requested_at"][:10] in body["detail"]

    async def test_r12_a_regular_contact_may_be_asked_again(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="regular")
        url = f"/v1/campaigns/{campaign}/consent-requests"
        ask = {"contact_id": str(contact), "asks": [{"channel": "email", "purpose": "newsletter"}]}

        first = await svc.client.post(url, json=ask, headers=manager(tokens, campaign))
        second = await svc.client.post(url, json=ask, headers=manager(tokens, campaign))

        assert (first.status_code, second.status_code) == (201, 201)

    async def test_r12_a_request_asks_each_channel_and_purpose_separately(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")
        asks = [
            {"channel": "email", "purpose": "newsletter"},
            {"channel": "sms", "purpose": "newsletter"},
        ]

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/consent-requests",
            json={"contact_id": str(contact), "asks": asks},
            headers=manager(tokens, campaign),
        )

        assert response.status_code == 201, response.text
        entries = response.json()["entries"]
        assert [(e["channel"], e["state"]) for e in entries] == [
            ("email", "pending"),
            ("sms", "pending"),
        ]

    async def test_r12_an_unanswered_request_expires_and_counts_as_no_consent(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")
        ask = {
            "contact_id": str(contact),
            "asks": [{"channel": "email", "purpose": "newsletter"}],
            "expires_in_days": 10,
        }
        created = await svc.client.post(
            f"/v1/campaigns/{campaign}/consent-requests",
            json=ask,
            headers=manager(tokens, campaign),
        )
        assert created.status_code == 201

        async with support.topic_reader(svc) as reader:
            early = await maintenance.run_once(svc.kernel, now=utcnow() + timedelta(days=9))
            late = await maintenance.run_once(svc.kernel, now=utcnow() + timedelta(days=11))
            event = await reader.wait_for(
                lambda e: e.event_type == "consent.expired" and e.key == str(contact)
            )

        states = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            headers=manager(tokens, campaign),
        )
        assert early == 0
        assert late >= 1
        assert [s["state"] for s in states.json()["states"]] == ["expired"]
        assert event.payload["previous_state"] == "pending"

    async def test_r12_a_refusal_publishes_consent_refused_for_deletion(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")

        async with support.topic_reader(svc) as reader:
            response = await record(
                svc, tokens, campaign, contact, state="refused", method="sms_reply"
            )
            event = await reader.wait_for(
                lambda e: e.event_type == "consent.refused" and e.key == str(contact)
            )

        assert response.status_code == 201, response.text
        assert event.payload["optout_seq"] == response.json()["optout_seq"]
        assert event.payload["contact_id"] == str(contact)


class TestR13SocialNetworks:
    @pytest.mark.parametrize("interaction", ["follow", "like", "share", "friend"])
    async def test_r13_a_social_network_interaction_is_not_consent(
        self, svc: RunningService, tokens: Tokens, interaction: str
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(
            svc, tokens, campaign, contact, notice=NOTICE, social_interaction=interaction
        )

        body = assert_refused(response, "R13")
        assert body["errors"][0]["field"] == "social_interaction"
        assert (await history(svc, tokens, campaign, contact)).status_code == 404

    async def test_r13_a_withdrawal_through_a_social_network_is_recorded(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(
            svc, tokens, campaign, contact, state="withdrawn", social_interaction="comment"
        )

        assert response.status_code == 201, response.text


class TestR16AutomatedCalls:
    async def test_r16_an_automated_call_grant_without_its_window_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(
            svc, tokens, campaign, contact, channel="automated_call", notice=NOTICE
        )

        body = assert_refused(response, "R16")
        assert body["errors"][0]["field"] == "call_window"

    async def test_r16_an_automated_call_grant_keeps_its_window(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens)

        response = await record(
            svc,
            tokens,
            campaign,
            contact,
            channel="automated_call",
            notice=NOTICE,
            call_window=WINDOW,
        )

        assert response.status_code == 201, response.text
        assert response.json()["call_window"]["weekdays"] == [1, 2, 3, 4, 5]

    async def test_r16_a_window_that_announces_nothing_precise_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens)
        window = {
            "weekdays": [],
            "start": "18:00:00",
            "end": "10:00:00",
            "timezone": "Mars/Olympus",
        }

        response = await record(
            svc,
            tokens,
            campaign,
            contact,
            channel="automated_call",
            notice=NOTICE,
            call_window=window,
        )

        body = assert_refused(response, None)
        assert {e["field"] for e in body["errors"]} == {
            "call_window.weekdays",
            "call_window.end",
            "call_window.timezone",
        }

    async def test_r16_an_automated_call_request_without_its_window_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/consent-requests",
            json={
                "contact_id": str(contact),
                "asks": [{"channel": "automated_call", "purpose": "newsletter"}],
            },
            headers=manager(tokens, campaign),
        )

        body = assert_refused(response, "R16")
        assert body["errors"][0]["field"] == "asks.0.call_window"

    async def test_r16_a_form_offering_automated_calls_needs_the_window_to_publish(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        offers = [{"channel": "automated_call", "purpose": "newsletter"}]
        created = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(offers=offers),
            headers=manager(tokens, campaign),
        )

        published = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms/{created.json()['id']}/publish",
            headers=manager(tokens, campaign),
        )

        body = assert_refused(published, "R3")
        assert [e["field"] for e in body["errors"]] == ["call_window"]
        assert "R16" in body["errors"][0]["reason"]


class TestR3FormNotices:
    @pytest.mark.parametrize(
        ("missing", "extra"),
        [
            (["controller_identity"], {"controller_identity": None}),
            (["purposes_notice"], {"purposes_notice": {"en": "English only"}}),
            (["retention"], {"retention": None}),
            (["rights"], {"rights": {"fr": "   "}}),
            (["rights_address"], {"rights_address": None}),
            (["data_origin"], {"collection": "indirect"}),
            (["offers"], {"offers": []}),
            (
                ["controller_identity", "retention", "rights_address"],
                {"controller_identity": None, "retention": None, "rights_address": None},
            ),
        ],
    )
    async def test_r03_publishing_with_a_missing_notice_is_refused_with_the_list(
        self, svc: RunningService, tokens: Tokens, missing: list[str], extra: dict[str, Any]
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        created = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(**extra),
            headers=manager(tokens, campaign),
        )
        assert created.status_code == 201, created.text
        form_id = created.json()["id"]

        published = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms/{form_id}/publish", headers=manager(tokens, campaign)
        )

        body = assert_refused(published, "R3")
        assert [e["field"] for e in body["errors"]] == missing
        page = await svc.client.get(f"/f/{form_id}")
        assert page.status_code == 404

    async def test_r03_a_complete_form_publishes_and_its_page_states_every_notice(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        indirect = {"collection": "indirect", "data_origin": {"fr": "Liste électorale de 2026"}}

        form_id = await support.published_form(svc, tokens, campaign, **indirect)
        page = await svc.client.get(f"/f/{form_id}")

        assert page.status_code == 200
        for text in (
            "Parti Exemple, 1 rue de la République",
            "Vous informer de la campagne.",
            "Jusqu&#39;à la fin de la campagne.",
            "Accès, rectification, effacement",
            "droits@parti-exemple.fr",
            "Liste électorale de 2026",
        ):
            assert text in page.text, text


class TestR12UnderConcurrency:
    async def test_r12_concurrent_requests_to_an_occasional_contact_let_only_one_through(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await setup(svc, tokens, kind="occasional")
        ask = {"contact_id": str(contact), "asks": [{"channel": "email", "purpose": "newsletter"}]}

        responses = await asyncio.gather(
            *(
                svc.client.post(
                    f"/v1/campaigns/{campaign}/consent-requests",
                    json=ask,
                    headers=manager(tokens, campaign),
                )
                for _ in range(6)
            )
        )

        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 422, 422, 422, 422, 422]
        assert {r.json().get("rule") for r in responses if r.status_code == 422} == {"R12"}
