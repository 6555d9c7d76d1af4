"""What consent-svc keeps of the contact directory: kinds, hashes, merges, deletions."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import repository
from consent_svc.models import Alias, ConsentRequest, Current, Entry, KnownContact, Submission


async def upsert_contact(
    session: AsyncSession,
    *,
    contact_id: uuid.UUID,
    campaign_id: uuid.UUID,
    kind: str,
    email_hash: str | None,
    phone_hash: str | None,
    proposed: bool,
    now: datetime,
) -> None:
    """Record or refresh what is known of a contact."""
    values = {
        "campaign_id": campaign_id,
        "kind": kind,
        "email_hash": email_hash,
        "phone_hash": phone_hash,
        "proposed": proposed,
        "updated_at": now,
    }
    stmt = repository.insert(session, KnownContact).values(contact_id=contact_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["contact_id"], set_=values))


async def record_merge(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    kept_id: uuid.UUID,
    now: datetime,
) -> None:
    """Alias a duplicate to the kept contact and move its newer current states over."""
    # Ledger entries are never rewritten: history reads follow the alias instead.
    if duplicate_id == kept_id:
        return
    stmt = (
        repository.insert(session, Alias)
        .values(duplicate_id=duplicate_id, kept_id=kept_id, campaign_id=campaign_id, merged_at=now)
        .on_conflict_do_nothing(index_elements=["duplicate_id"])
    )
    await session.execute(stmt)
    rows = await repository.current_states(
        session, campaign_id=campaign_id, contact_id=duplicate_id
    )
    for dup in rows:
        kept = await repository.current_state(
            session,
            campaign_id=campaign_id,
            contact_id=kept_id,
            channel=dup.channel,
            purpose=dup.purpose,
        )
        if kept is None:
            session.add(
                Current(
                    campaign_id=campaign_id,
                    contact_id=kept_id,
                    channel=dup.channel,
                    purpose=dup.purpose,
                    state=dup.state,
                    entry_id=dup.entry_id,
                    seq=dup.seq,
                    occurred_at=dup.occurred_at,
                    expires_at=dup.expires_at,
                    call_window=dup.call_window,
                )
            )
        elif kept.seq < dup.seq:
            for name in ("state", "entry_id", "seq", "occurred_at", "expires_at", "call_window"):
                setattr(kept, name, getattr(dup, name))
        await session.delete(dup)
    await session.execute(
        sa.delete(KnownContact).where(col(KnownContact.contact_id) == duplicate_id)
    )


async def forget(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_ids: set[uuid.UUID], now: datetime
) -> int:
    """Erase a person's evidence, states and projection (the chain stays); return entries erased."""
    ids = list(contact_ids)
    if not ids:
        return 0
    result = await session.execute(
        sa.update(Entry)
        .where(
            col(Entry.campaign_id) == campaign_id,
            col(Entry.contact_id).in_(ids),
        )
        .values(
            contact_id=None,
            personal_salt=None,
            ip_address=None,
            user_agent=None,
            note=None,
            erased_at=now,
        )
    )
    for table, column in (
        (Current, col(Current.contact_id)),
        (KnownContact, col(KnownContact.contact_id)),
        (ConsentRequest, col(ConsentRequest.contact_id)),
        (Submission, col(Submission.proposed_contact_id)),
    ):
        await session.execute(sa.delete(table).where(column.in_(ids)))
    await session.execute(
        sa.delete(Alias).where(
            sa.or_(col(Alias.kept_id).in_(ids), col(Alias.duplicate_id).in_(ids))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
