"""Helpers to drive the voter pages as a browser without JavaScript would."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from support import manager

from consent_svc.models import KnownContact, Submission
from isoloir.testing.plugin import RunningService
from isoloir.testing.tokens import Tokens

FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def open_form(svc: RunningService, form_id: str, **params: str) -> tuple[str, str]:
    page = await svc.client.get(f"/f/{form_id}", params=params)
    assert page.status_code == 200, page.text
    return page.text, csrf_of(page.text)


async def submit(svc: RunningService, form_id: str, fields: dict[str, Any], **params: str) -> Any:
    _, token = await open_form(svc, form_id, **params)
    data = {"csrf": token, "website": "", **fields}
    return await svc.client.post(f"/f/{form_id}", data=data, params=params)


async def submissions(svc: RunningService, form_id: str) -> list[Submission]:
    async with svc.kernel.sessionmaker() as session:
        rows = await session.scalars(
            sa.select(Submission).where(Submission.form_id == uuid.UUID(form_id))  # type: ignore[arg-type]
        )
        return list(rows)


async def proposed_contact(svc: RunningService, form_id: str) -> uuid.UUID:
    found = await submissions(svc, form_id)
    assert len(found) == 1, found
    return found[0].proposed_contact_id


async def hashes_of(svc: RunningService, contact: uuid.UUID) -> KnownContact | None:
    async with svc.kernel.sessionmaker() as session:
        return await session.get(KnownContact, contact)


async def unsubscribe_path(
    svc: RunningService,
    tokens: Tokens,
    campaign: uuid.UUID,
    contact: uuid.UUID,
    channel: str = "email",
) -> str:
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/unsubscribe-links",
        json={"channel": channel, "items": [{"contact_id": str(contact), "message_id": "m-1"}]},
        headers=manager(tokens, campaign),
    )
    assert response.status_code == 201, response.text
    link = response.json()[0]
    assert link["list_unsubscribe"] == f"<{link['url']}>"
    assert link["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    return "/u/" + str(link["url"]).split("/u/", 1)[1]


async def preference_path(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, contact: uuid.UUID
) -> str:
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/contacts/{contact}/preference-link",
        headers=manager(tokens, campaign),
    )
    assert response.status_code == 201, response.text
    return "/p/" + str(response.json()["url"]).split("/p/", 1)[1]


async def states(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, contact: uuid.UUID
) -> dict[str, str]:
    response = await svc.client.get(
        f"/v1/campaigns/{campaign}/contacts/{contact}/consents", headers=manager(tokens, campaign)
    )
    assert response.status_code == 200, response.text
    return {f"{s['channel']}:{s['purpose']}": s["state"] for s in response.json()["states"]}
