"""Forget a contact entirely: the row, its canvassing entries, its consent projection."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_svc import events
from contacts_svc.models import ConsentState, Contact, Import, ImportRowError, Interaction
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
    await session.execute(
        sa.delete(Interaction).where(Interaction.contact_id == contact.id)  # type: ignore[arg-type]
    )
    await session.execute(
        sa.delete(ConsentState).where(ConsentState.contact_id == contact.id)  # type: ignore[arg-type]
    )
    hashes = [h for h in (contact.email_hash, contact.phone_hash) if h]
    if hashes:
        await session.execute(
            sa.delete(ImportRowError).where(
                ImportRowError.import_id.in_(  # type: ignore[attr-defined]
                    sa.select(Import.id).where(Import.campaign_id == contact.campaign_id)  # type: ignore[arg-type]
                ),
                sa.or_(
                    ImportRowError.email_hash.in_(hashes),  # type: ignore[union-attr]
                    ImportRowError.phone_hash.in_(hashes),  # type: ignore[union-attr]
                ),
            )
        )
    await session.execute(sa.delete(Contact).where(Contact.id == contact.id))  # type: ignore[arg-type]
    await events.deleted(
        session,
        outbox,
        contact_id=contact.id,
        campaign_id=contact.campaign_id,
        reason=reason,
        now=now,
    )
