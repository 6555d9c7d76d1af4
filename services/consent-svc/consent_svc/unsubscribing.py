"""Unsubscribing from a per-message link: this campaign only, or the whole party (R4)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import optouts, repository
from consent_svc.ledger import Change, Evidence, LedgerWriter
from consent_svc.models import KnownContact
from consent_svc.voter import LIVE, PHONE_CHANNELS, Browser
from isoloir.events import Envelope, consent
from isoloir.outbox import Outbox


async def unsubscribe(
    session: AsyncSession,
    *,
    outbox: Outbox,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel: consent.Channel,
    message_id: str | None,
    whole_party: bool,
    browser: Browser | None,
    now: datetime,
    method: consent.Method = "unsubscribe_link",
    collector: str = "self",
    note: str | None = None,
) -> list[Envelope]:
    """Withdraw a channel for this campaign, or for every campaign plus the opposition list."""
    contact = await repository.known_contact(
        session, campaign_id=campaign_id, contact_id=contact_id
    )
    targets: list[tuple[uuid.UUID, uuid.UUID]] = [(campaign_id, contact_id)]
    if whole_party and contact is not None:
        targets += [
            (c.campaign_id, c.contact_id) for c in await _same_person(session, contact, channel)
        ]
    targets = sorted(set(targets), key=lambda t: (str(t[0]), str(t[1])))
    writer = LedgerWriter(session=session, outbox=outbox, now=now)
    await writer.lock({t[0] for t in targets})
    events = []
    for target_campaign, target_contact in targets:
        for row in await repository.current_states(
            session, campaign_id=target_campaign, contact_id=target_contact
        ):
            if row.channel != channel or row.state not in LIVE:
                continue
            evidence = Evidence(
                method=method,
                collector=collector,
                occurred_at=now,
                language=browser.language if browser else None,
                ip_address=browser.ip_address if browser else None,
                user_agent=browser.user_agent if browser else None,
                reason="whole_party" if whole_party else "this_campaign",
                note=note,
                source_ref=f"message:{message_id}"[:100] if message_id else None,
            )
            change = Change(
                contact_id=target_contact,
                channel=channel,
                purpose=row.purpose,
                state="withdrawn",
                evidence=evidence,
            )
            events.append(
                (await writer.record(campaign_id=target_campaign, change=change)).envelope
            )
    if whole_party and contact is not None:
        added = await optouts.add(
            session,
            outbox=outbox,
            hashes=optouts.Hashes(email_hash=contact.email_hash, phone_hash=contact.phone_hash),
            source="party_unsubscribe",
            now=now,
            key=str(contact_id),
        )
        if added is not None:
            events.append(added)
    return events


async def _same_person(
    session: AsyncSession, contact: KnownContact, channel: str
) -> list[KnownContact]:
    """Return the records of this person in every campaign, matched on the channel's hash."""
    if channel == "email" and contact.email_hash:
        column, value = col(KnownContact.email_hash), contact.email_hash
    elif channel in PHONE_CHANNELS and contact.phone_hash:
        column, value = col(KnownContact.phone_hash), contact.phone_hash
    else:
        return []
    return list(await session.scalars(sa.select(KnownContact).where(column == value)))
