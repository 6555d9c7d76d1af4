"""The events contacts-svc publishes, built from its rows (ids and hashes, never names)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from contacts_svc.models import Campaign, Contact, Party
from isoloir.events import contacts as ev
from isoloir.events.envelope import Envelope
from isoloir.outbox import Outbox


def contact_state(contact: Contact, *, now: datetime) -> dict[str, object]:
    """Return the shared fields of contact.created and contact.updated."""
    return {
        "contact_id": contact.id,
        "campaign_id": contact.campaign_id,
        "file_id": contact.file_id,
        "kind": contact.kind,
        "origin": contact.origin,
        "polling_station": contact.polling_station,
        "birth_year": contact.birth_year,
        "sex": contact.sex,
        "email_hash": contact.email_hash,
        "phone_hash": contact.phone_hash,
        "has_postal_address": bool(contact.postal_address),
        "occurred_at": now,
    }


async def created(
    session: AsyncSession, outbox: Outbox, contact: Contact, *, now: datetime
) -> Envelope:
    payload = ev.ContactCreated(**contact_state(contact, now=now))
    return await outbox.add(
        session, payload, tenant_id=str(contact.campaign_id), key=str(contact.id)
    )


async def updated(
    session: AsyncSession, outbox: Outbox, contact: Contact, *, changed: list[str], now: datetime
) -> Envelope:
    payload = ev.ContactUpdated(**contact_state(contact, now=now), changed_fields=sorted(changed))
    return await outbox.add(
        session, payload, tenant_id=str(contact.campaign_id), key=str(contact.id)
    )


DeleteReason = Literal["erasure", "purge", "refusal", "staff", "objection"]


async def deleted(
    session: AsyncSession,
    outbox: Outbox,
    *,
    contact_id: uuid.UUID,
    campaign_id: uuid.UUID,
    reason: DeleteReason,
    now: datetime,
) -> Envelope:
    payload = ev.ContactDeleted(
        contact_id=contact_id, campaign_id=campaign_id, reason=reason, occurred_at=now
    )
    return await outbox.add(session, payload, tenant_id=str(campaign_id), key=str(contact_id))


async def campaign_upserted(
    session: AsyncSession, outbox: Outbox, campaign: Campaign, party: Party
) -> Envelope:
    payload = ev.CampaignUpserted(
        campaign_id=campaign.id,
        party_id=party.id,
        party_name=party.name,
        candidate_name=campaign.candidate_name,
        election_kind=campaign.election_kind,
        election_rounds=[date.fromisoformat(d) for d in campaign.election_rounds],
        territory=campaign.territory,
        ends_on=campaign.ends_on,
        rights_contact_email=campaign.rights_contact_email,
    )
    return await outbox.add(session, payload, tenant_id=str(campaign.id), key=str(campaign.id))
