"""The staff API: purposes, forms, opposition list, roles, errors and tenant isolation (I4)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import support
from support import manager

from isoloir.localbroker import LocalBroker
from isoloir.testing import isolation
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


class TestPurposes:
    async def test_the_reserved_reuse_purpose_always_exists_and_cannot_be_taken(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()

        listed = await svc.client.get(
            f"/v1/campaigns/{campaign}/purposes", headers=manager(tokens, campaign)
        )
        taken = await svc.client.post(
            f"/v1/campaigns/{campaign}/purposes",
            json={
                "key": "official_campaign_reuse",
                "label_fr": "x",
                "label_en": "x",
                "description_fr": "x",
                "description_en": "x",
            },
            headers=manager(tokens, campaign),
        )

        assert [p["key"] for p in listed.json()] == ["official_campaign_reuse"]
        assert problem(taken, 409)["detail"].startswith("'official_campaign_reuse' is reserved")

    async def test_a_purpose_is_created_read_and_relabelled(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign, key="events")

        patched = await svc.client.patch(
            f"/v1/campaigns/{campaign}/purposes/events",
            json={"label_en": "Meetings"},
            headers=manager(tokens, campaign),
        )
        read = await svc.client.get(
            f"/v1/campaigns/{campaign}/purposes/events", headers=manager(tokens, campaign)
        )
        duplicate = await svc.client.post(
            f"/v1/campaigns/{campaign}/purposes",
            json={
                **dict.fromkeys(("label_fr", "label_en", "description_fr", "description_en"), "x"),
                "key": "events",
            },
            headers=manager(tokens, campaign),
        )

        assert patched.status_code == 200
        assert read.json()["label_en"] == "Meetings"
        assert read.json()["label_fr"] == "Lettre d'information"
        problem(duplicate, 409)

    async def test_a_consent_for_an_undefined_purpose_is_refused_naming_the_field(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        contact = await support.known_contact(svc, campaign)

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            json={
                "channel": "email",
                "purpose": "ghost",
                "state": "withdrawn",
                "method": "staff_entry",
            },
            headers=manager(tokens, campaign),
        )

        assert problem(response, 422)["errors"] == [
            {"field": "purpose", "reason": "no purpose 'ghost' is defined for this campaign"}
        ]


class TestForms:
    async def test_a_form_is_drafted_published_in_versions_and_closed(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        form_id = await support.published_form(svc, tokens, campaign)
        url = f"/v1/campaigns/{campaign}/forms/{form_id}"

        edited = await svc.client.put(
            url, json=support.full_form(name="v2"), headers=manager(tokens, campaign)
        )
        second = await svc.client.post(f"{url}/publish", headers=manager(tokens, campaign))
        first = await svc.client.get(f"{url}/versions/1", headers=manager(tokens, campaign))
        closed = await svc.client.post(f"{url}/close", headers=manager(tokens, campaign))

        assert edited.json()["current_version"] == 1
        assert second.json()["version"] == 2
        assert first.json()["content"]["name"] == "Rejoignez-nous"
        assert closed.json()["closed"] is True
        assert (await svc.client.get(f"/f/{form_id}")).status_code == 404

    async def test_a_form_offering_post_is_refused_with_the_reason(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(offers=[{"channel": "post", "purpose": "newsletter"}]),
            headers=manager(tokens, campaign),
        )

        assert problem(response, 422)["errors"][0]["field"] == "offers.0.channel"

    async def test_an_unknown_field_and_a_bad_address_are_named(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms",
            json=support.full_form(rights_address="not an address", colour="red"),
            headers=manager(tokens, campaign),
        )

        fields = {e["field"] for e in problem(response, 422)["errors"]}
        assert {"body.rights_address", "body.colour"} <= fields


class TestOppositionList:
    async def test_an_import_keeps_good_rows_and_reports_bad_ones(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        good = uuid.uuid4().hex * 2
        csv = f"kind,hash\nemail,{good}\nphone,nothex\nfax,{good}\nemail\n".encode()

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/import",
            content=csv,
            headers={**manager(tokens, campaign), "content-type": "text/csv"},
        )
        exported = await svc.client.get(
            f"/v1/parties/{tokens.party_id}/opposition/export",
            headers=tokens.headers(campaign_id=None, roles=["party_admin"]),
        )

        assert response.status_code == 200, response.text
        assert response.json()["added"] == 1
        assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
            (3, "hash"),
            (4, "kind"),
            (5, "row"),
        ]
        assert exported.headers["content-type"].startswith("text/csv")
        assert f"email,{good}" in exported.text.splitlines()

    async def test_the_check_stores_nothing_and_answers_yes_or_no(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        before = await svc.client.get(
            f"/v1/campaigns/{campaign}/opposition/export", headers=manager(tokens, campaign)
        )

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": "Nobody@Example.org"},
            headers=manager(tokens, campaign),
        )
        after = await svc.client.get(
            f"/v1/campaigns/{campaign}/opposition/export", headers=manager(tokens, campaign)
        )

        assert response.json() == {"listed": False, "email_listed": False, "phone_listed": None}
        assert before.text == after.text

    async def test_a_bad_email_or_phone_is_named(self, svc: RunningService, tokens: Tokens) -> None:
        campaign = uuid.uuid4()

        bad_email = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": "nope"},
            headers=manager(tokens, campaign),
        )
        bad_phone = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"phone": "12"},
            headers=manager(tokens, campaign),
        )

        assert problem(bad_email, 422)["errors"][0]["field"] == "email"
        assert problem(bad_phone, 422)["errors"][0]["field"] == "phone"

    async def test_an_import_in_json_is_refused_with_415(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/import",
            json={"kind": "email"},
            headers=manager(tokens, campaign),
        )

        problem(response, 415)


class TestRoles:
    async def test_a_volunteer_records_consents_but_does_not_manage_forms_or_read_evidence(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        contact = await support.known_contact(svc, campaign)
        volunteer = manager(tokens, campaign, "volunteer")

        recorded = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            json={
                "channel": "email",
                "purpose": "newsletter",
                "state": "granted",
                "method": "canvassing",
                "notice": support.NOTICE,
            },
            headers=volunteer,
        )
        form = await svc.client.post(
            f"/v1/campaigns/{campaign}/forms", json=support.full_form(), headers=volunteer
        )
        verify = await svc.client.get(f"/v1/campaigns/{campaign}/ledger/verify", headers=volunteer)
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history", headers=volunteer
        )
        opposition = await svc.client.get(
            f"/v1/campaigns/{campaign}/opposition/export", headers=volunteer
        )

        assert recorded.status_code == 201
        for refused in (form, verify, history, opposition):
            problem(refused, 403)

    async def test_an_ops_viewer_records_nothing(self, svc: RunningService, tokens: Tokens) -> None:
        campaign = uuid.uuid4()
        contact = await support.known_contact(svc, campaign)

        response = await svc.client.post(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            json={
                "channel": "email",
                "purpose": "newsletter",
                "state": "withdrawn",
                "method": "staff_entry",
            },
            headers=manager(tokens, campaign, "ops_viewer"),
        )

        problem(response, 403)

    async def test_party_routes_need_an_administrator_of_that_party(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        url = f"/v1/parties/{tokens.party_id}/opposition/export"

        manager_token = await svc.client.get(url, headers=manager(tokens, uuid.uuid4()))
        other_party = await svc.client.get(
            url,
            headers=tokens.headers(
                campaign_id=None, roles=["party_admin"], party_id=str(uuid.uuid4())
            ),
        )
        own_party = await svc.client.get(
            url, headers=tokens.headers(campaign_id=None, roles=["party_admin"])
        )

        problem(manager_token, 403)
        problem(other_party, 403)
        assert own_party.status_code == 200


class TestIsolation:
    async def test_every_campaign_route_refuses_another_campaigns_token(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(svc, tokens, campaign)
        form_id = await support.published_form(svc, tokens, campaign)
        contact = await support.known_contact(svc, campaign, kind="occasional")
        entry = await support.grant(svc, tokens, campaign, contact)
        request = await svc.client.post(
            f"/v1/campaigns/{campaign}/consent-requests",
            json={
                "contact_id": str(contact),
                "asks": [{"channel": "sms", "purpose": "newsletter"}],
            },
            headers=manager(tokens, campaign),
        )

        checked = await isolation.assert_campaign_routes_isolated(
            svc.client,
            svc.app,
            tokens=tokens,
            campaign_id=campaign,
            path_values={
                "contact_id": str(contact),
                "form_id": form_id,
                "version": "1",
                "key": "newsletter",
                "entry_id": entry["id"],
                "sha256": entry["notice_sha256"],
                "request_id": request.json()["id"],
            },
        )

        assert len(checked) >= 20
        # The victim's data is untouched by all those attempts.
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
            headers=manager(tokens, campaign),
        )
        assert next(e["id"] for e in history.json()) == entry["id"]
        assert (
            await svc.client.get(
                f"/v1/campaigns/{campaign}/ledger/verify", headers=manager(tokens, campaign)
            )
        ).json()["ok"]

    async def test_every_staff_route_demands_a_token(self, svc: RunningService) -> None:
        checked = await isolation.assert_token_required(svc.client, svc.app)

        assert "GET /v1/optout-watermark" in checked
        assert "POST /v1/parties/{party_id}/opposition/import" in checked
        assert not any(c.split()[1].startswith(("/f/", "/p/", "/u/")) for c in checked)

    async def test_voter_pages_are_marked_public_in_the_contract(self, svc: RunningService) -> None:
        public = {e.path for e in isolation.endpoints(svc.app) if e.public}

        assert public == {"/f/{form_id}", "/p/{token}", "/u/{token}"}
