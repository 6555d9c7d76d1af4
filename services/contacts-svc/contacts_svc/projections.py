"""Local views of consent-svc's state: consent per contact, channel and purpose; opposition."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc.models import ConsentState, OppositionHash, table
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


async def record_consent(
    session: AsyncSession, payload: ConsentChange, *, database_url: str
) -> None:
    """Keep the latest state per (contact, channel, purpose); an older event changes nothing."""
    states = table(ConsentState)
    stmt = (
        _dialect(database_url)
        .insert(states)
        .values(
            contact_id=payload.contact_id,
            channel=payload.channel,
            purpose=payload.purpose,
            campaign_id=payload.campaign_id,
            state=payload.state,
            changed_at=payload.occurred_at,
        )
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["contact_id", "channel", "purpose"],
        set_={"state": stmt.excluded.state, "changed_at": stmt.excluded.changed_at},
        where=states.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt)


async def add_opposition(session: AsyncSession, hashes: list[str], *, database_url: str) -> None:
    for value in hashes:
        stmt = _dialect(database_url).insert(table(OppositionHash)).values(hash=value)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["hash"]))


async def remove_opposition(session: AsyncSession, hashes: list[str]) -> None:
    if hashes:
        await session.execute(sa.delete(OppositionHash).where(col(OppositionHash.hash).in_(hashes)))


def hashes_of(payload: ev.OppositionAdded | ev.OppositionRemoved) -> list[str]:
    return [h for h in (payload.email_hash, payload.phone_hash) if h]
