"""Local views of consent-svc's state: consent per contact, channel and purpose; opposition."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc.models import ConsentState, ContactMerge, OppositionHash, table
from isoloir.db import is_sqlite
from isoloir.events import consent as ev

ConsentChange = (
    ev.ConsentRequested
    | ev.ConsentGranted
    | ev.ConsentExpired
    | ev.ConsentRefused
    | ev.ConsentWithdrawn
)


def _dialect(database_url: str) -> Any:
    return sqlite if is_sqlite(database_url) else postgresql


async def kept_id(session: AsyncSession, contact_id: uuid.UUID) -> uuid.UUID:
    """Return the contact an id now means: the kept one if it was merged, else itself."""
    kept = await session.scalar(
        sa.select(col(ContactMerge.kept_id)).where(col(ContactMerge.duplicate_id) == contact_id)
    )
    return kept or contact_id


async def _keep_state(session: AsyncSession, *, database_url: str, **values: Any) -> None:
    states = table(ConsentState)
    stmt = _dialect(database_url).insert(states).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["contact_id", "channel", "purpose"],
        set_={"state": stmt.excluded.state, "changed_at": stmt.excluded.changed_at},
        where=states.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt)


async def record_consent(
    session: AsyncSession, payload: ConsentChange, *, database_url: str
) -> None:
    """Keep the latest state per (contact, channel, purpose); an older event changes nothing."""
    await _keep_state(
        session,
        database_url=database_url,
        contact_id=await kept_id(session, payload.contact_id),
        channel=payload.channel,
        purpose=payload.purpose,
        campaign_id=payload.campaign_id,
        state=payload.state,
        changed_at=payload.occurred_at,
    )


async def record_merge(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    kept_id: uuid.UUID,
    now: datetime,
    database_url: str,
) -> None:
    """Make the duplicate's consents, held and to come, count for the kept contact."""
    stmt = (
        _dialect(database_url)
        .insert(table(ContactMerge))
        .values(duplicate_id=duplicate_id, kept_id=kept_id, campaign_id=campaign_id, merged_at=now)
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["duplicate_id"]))
    held = list(
        await session.scalars(
            sa.select(ConsentState).where(col(ConsentState.contact_id) == duplicate_id)
        )
    )
    for row in held:
        await _keep_state(
            session,
            database_url=database_url,
            contact_id=kept_id,
            channel=row.channel,
            purpose=row.purpose,
            campaign_id=row.campaign_id,
            state=row.state,
            changed_at=row.changed_at,
        )
    if held:
        await session.execute(
            sa.delete(ConsentState).where(col(ConsentState.contact_id) == duplicate_id)
        )


async def add_opposition(session: AsyncSession, hashes: list[str], *, database_url: str) -> None:
    for value in hashes:
        stmt = _dialect(database_url).insert(table(OppositionHash)).values(hash=value)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["hash"]))


async def remove_opposition(session: AsyncSession, hashes: list[str]) -> None:
    if hashes:
        await session.execute(sa.delete(OppositionHash).where(col(OppositionHash.hash).in_(hashes)))


def hashes_of(payload: ev.OppositionAdded | ev.OppositionRemoved) -> list[str]:
    return [h for h in (payload.email_hash, payload.phone_hash) if h]
