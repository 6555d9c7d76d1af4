"""Minting voter links: the preference centre, and unsubscribe links for each message."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import col

from consent_svc import consents, links
from consent_svc.deps import Manager, Recorder, SettingsDep
from consent_svc.models import KnownContact
from consent_svc.schemas import Strict
from isoloir import problems, service
from isoloir.events.consent import Channel
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["links"])


class PreferenceLink(BaseModel):
    url: str
    expires_at: datetime


class UnsubscribeItem(Strict):
    contact_id: uuid.UUID
    message_id: str = Field(min_length=1, max_length=100)


class UnsubscribeLinksCreate(Strict):
    channel: Channel
    items: list[UnsubscribeItem] = Field(min_length=1, max_length=1000)


class UnsubscribeLinkPublic(BaseModel):
    contact_id: uuid.UUID
    message_id: str
    url: str
    list_unsubscribe: str = Field(description="Value of the List-Unsubscribe header.")
    list_unsubscribe_post: str = Field(description="Value of the List-Unsubscribe-Post header.")


@router.post(
    "/contacts/{contact_id}/preference-link",
    status_code=201,
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def mint_preference_link(
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    principal: Recorder,
    session: SessionDep,
    settings: SettingsDep,
) -> PreferenceLink:
    """Return a signed, expiring link to the contact's preference centre."""
    contact = await consents.known(session, campaign_id=campaign_id, contact_id=contact_id)
    url, expires = links.preference_link(
        settings, campaign_id=campaign_id, contact_id=contact.contact_id
    )
    return PreferenceLink(url=url, expires_at=expires)


@router.post(
    "/unsubscribe-links",
    status_code=201,
    responses=problems.responses(problems.Forbidden),
)
async def mint_unsubscribe_links(
    campaign_id: uuid.UUID,
    body: UnsubscribeLinksCreate,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
) -> list[UnsubscribeLinkPublic]:
    """Return a signed unsubscribe link and List-Unsubscribe headers for each message (R4)."""
    ids = {item.contact_id for item in body.items}
    known = set(
        await session.scalars(
            sa.select(col(KnownContact.contact_id)).where(
                col(KnownContact.campaign_id) == campaign_id,
                col(KnownContact.contact_id).in_(ids),
            )
        )
    )
    unknown = [
        problems.FieldError(
            field=f"items.{i}.contact_id", reason="no such contact in this campaign"
        )
        for i, item in enumerate(body.items)
        if item.contact_id not in known
    ]
    if unknown:
        raise problems.Unprocessable("some contacts are unknown in this campaign", errors=unknown)
    out = []
    for item in body.items:
        url = links.unsubscribe_link(
            settings,
            campaign_id=campaign_id,
            contact_id=item.contact_id,
            channel=body.channel,
            message_id=item.message_id,
        )
        headers = links.list_unsubscribe_headers(url)
        out.append(
            UnsubscribeLinkPublic(
                contact_id=item.contact_id,
                message_id=item.message_id,
                url=url,
                list_unsubscribe=headers["List-Unsubscribe"],
                list_unsubscribe_post=headers["List-Unsubscribe-Post"],
            )
        )
    return out
