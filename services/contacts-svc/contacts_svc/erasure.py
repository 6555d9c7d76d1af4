"""Forget a contact entirely: the row, its canvassing entries, its consent projection."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import events
from contacts_svc.models import (
    ConsentState,
    Contact,
    ContactMerge,
    Import,
    ImportRowError,
    Interaction,
)
from isoloir.outbox import Outbox


async def forget(
    session: AsyncSession,
    outbox: Outbox,
    contact: Contact,
    *,
    reason: events.DeleteReason,
    now: datetime,
) -> None:
    """Delete everything held about a contact and tell every service to do the same."""
    await session.execute(sa.delete(Interaction).where(col(Interaction.contact_id) == contact.id))
    await session.execute(sa.delete(ConsentState).where(col(ConsentState.contact_id) == contact.id))
    await session.execute(sa.delete(ContactMerge).where(col(ContactMerge.kept_id) == contact.id))
    hashes = [h for h in (contact.email_hash, contact.phone_hash) if h]
    if hashes:
        await session.execute(
            sa.delete(ImportRowError).where(
                col(ImportRowError.import_id).in_(
                    sa.select(col(Import.id)).where(col(Import.campaign_id) == contact.campaign_id)
                ),
                sa.or_(
                    col(ImportRowError.email_hash).in_(hashes),
                    col(ImportRowError.phone_hash).in_(hashes),
                ),
            )
        )
    await session.execute(sa.delete(Contact).where(col(Contact.id) == contact.id))
    await events.deleted(
        session,
        outbox,
        contact_id=contact.id,
        campaign_id=contact.campaign_id,
        reason=reason,
        now=now,
    )
