"""Bad input gets problem+json naming the problem, never a 500; tokens are checked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from probe_svc.app import ProbeSettings, create_app

from isoloir import auth
from isoloir.events.staff import StaffRevoked
from isoloir.testing import isolation
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

CAMPAIGN = uuid.uuid4()
NOTES = f"/v1/campaigns/{CAMPAIGN}/notes"


@pytest.fixture
async def probe(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(ProbeSettings, max_body_bytes=2048)
    async with running(create_app(settings)) as svc:
        yield svc


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


class TestBadInput:
    async def test_malformed_json_is_a_400_that_says_so(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        response = await probe.client.post(
            NOTES,
            content=b'{"text": "unterminated',
            headers={**tokens.headers(campaign_id=CAMPAIGN), "content-type": "application/json"},
        )

        body = assert_problem(response, 400)
        assert "JSON" in body["detail"]

    async def test_an_unknown_field_is_named(self, probe: RunningService, tokens: Tokens) -> None:
        response = await probe.client.post(
            NOTES, json={"text": "x", "colour": "red"}, headers=tokens.headers(campaign_id=CAMPAIGN)
        )

        body = assert_problem(response, 422)
        assert {"field": "body.colour", "reason": "unknown field"} in body["errors"]

    async def test_a_missing_field_is_named(self, probe: RunningService, tokens: Tokens) -> None:
        response = await probe.client.post(
            NOTES, json={}, headers=tokens.headers(campaign_id=CAMPAIGN)
        )

        body = assert_problem(response, 422)
        assert {"field": "body.text", "reason": "this field is required"} in body["errors"]

    async def test_a_body_over_the_limit_is_a_413(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        response = await probe.client.post(
            NOTES, json={"text": "x" * 5000}, headers=tokens.headers(campaign_id=CAMPAIGN)
        )

        body = assert_problem(response, 413)
        assert "2048" in body["detail"]

    async def test_a_streamed_body_over_the_limit_is_a_413(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"text": "'
            for _ in range(10):
                yield b"x" * 500
            yield b'"}'

        response = await probe.client.post(
            NOTES,
            content=chunks(),
            headers={**tokens.headers(campaign_id=CAMPAIGN), "content-type": "application/json"},
        )

        assert_problem(response, 413)

    async def test_a_wrong_content_type_is_a_415(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        response = await probe.client.post(
            NOTES,
            content=b"text=hello",
            headers={
                **tokens.headers(campaign_id=CAMPAIGN),
                "content-type": "application/x-www-form-urlencoded",
            },
        )

        body = assert_problem(response, 415)
        assert "application/json" in body["detail"]

    async def test_a_bad_path_parameter_is_named(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        response = await probe.client.get(
            f"{NOTES}/not-a-uuid", headers=tokens.headers(campaign_id=CAMPAIGN)
        )

        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "path.note_id"

    async def test_unknown_routes_and_methods_are_problems(self, probe: RunningService) -> None:
        assert_problem(await probe.client.get("/nowhere"), 404)
        assert_problem(await probe.client.delete("/healthz"), 405)


class TestTokens:
    async def test_every_campaign_route_refuses_another_campaigns_token(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        created = await probe.client.post(
            NOTES, json={"text": "mine"}, headers=tokens.headers(campaign_id=CAMPAIGN)
        )

        checked = await isolation.assert_campaign_routes_isolated(
            probe.client,
            probe.app,
            tokens=tokens,
            campaign_id=CAMPAIGN,
            path_values={"note_id": created.json()["id"]},
        )

        assert checked == [
            "POST /v1/campaigns/{campaign_id}/notes",
            "GET /v1/campaigns/{campaign_id}/notes/{note_id}",
        ]

    async def test_every_route_but_public_ones_demands_a_token(self, probe: RunningService) -> None:
        checked = await isolation.assert_token_required(probe.client, probe.app)

        assert len(checked) == 2

    async def test_a_campaign_a_token_reads_nothing_of_campaign_b(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        other = uuid.uuid4()
        created = await probe.client.post(
            NOTES, json={"text": "b's note"}, headers=tokens.headers(campaign_id=CAMPAIGN)
        )
        note_id = created.json()["id"]

        own_path = await probe.client.get(
            f"/v1/campaigns/{other}/notes/{note_id}", headers=tokens.headers(campaign_id=other)
        )
        foreign_path = await probe.client.get(
            f"{NOTES}/{note_id}", headers=tokens.headers(campaign_id=other)
        )

        assert_problem(own_path, 404)
        assert_problem(foreign_path, 403)

    async def test_an_expired_token_is_refused(self, probe: RunningService, tokens: Tokens) -> None:
        token = tokens.expired(campaign_id=CAMPAIGN)

        response = await probe.client.post(
            NOTES, json={"text": "x"}, headers={"Authorization": f"Bearer {token}"}
        )

        body = assert_problem(response, 401)
        assert "expired" in body["detail"]

    async def test_a_badly_signed_token_is_refused(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        token = tokens.badly_signed(campaign_id=CAMPAIGN)

        response = await probe.client.post(
            NOTES, json={"text": "x"}, headers={"Authorization": f"Bearer {token}"}
        )

        body = assert_problem(response, 401)
        assert "signature" in body["detail"]

    async def test_garbage_and_missing_tokens_are_refused(self, probe: RunningService) -> None:
        garbage = await probe.client.post(
            NOTES, json={"text": "x"}, headers={"Authorization": "Bearer not.a.token"}
        )
        missing = await probe.client.post(NOTES, json={"text": "x"})

        assert_problem(garbage, 401)
        body = assert_problem(missing, 401)
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "bearer token" in body["detail"]

    async def test_a_role_the_route_does_not_accept_is_refused(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        volunteer = tokens.headers(campaign_id=CAMPAIGN, roles=[auth.Role.VOLUNTEER])

        response = await probe.client.post(NOTES, json={"text": "x"}, headers=volunteer)

        body = assert_problem(response, 403)
        assert "campaign_manager" in body["detail"]

    async def test_a_revoked_subject_is_refused_by_a_service_that_read_the_event(
        self, probe: RunningService, tokens: Tokens
    ) -> None:
        subject = str(uuid.uuid4())
        headers = tokens.headers(campaign_id=CAMPAIGN, subject=subject)
        assert (await probe.client.post(NOTES, json={"text": "x"}, headers=headers)).is_success

        async with probe.kernel.sessionmaker() as session, session.begin():
            await probe.kernel.outbox.add(
                session,
                StaffRevoked(staff_id=subject, revoked_at=_now(), reason="deactivated"),
                tenant_id=None,
                key=subject,
            )

        async def refused() -> bool:
            r = await probe.client.post(NOTES, json={"text": "x"}, headers=headers)
            return r.status_code == 401 and "revoked" in r.json()["detail"]

        await eventually(refused, timeout=10)
        fresh = tokens.headers(campaign_id=CAMPAIGN, subject=str(uuid.uuid4()))
        assert (await probe.client.post(NOTES, json={"text": "x"}, headers=fresh)).is_success


def _now() -> Any:
    from isoloir.db import utcnow

    return utcnow()
