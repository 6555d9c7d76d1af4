"""The processed-event table: what makes a consumer idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from isoloir.db import is_sqlite, processed_events_table
from isoloir.events import Envelope


async def record(
    session: AsyncSession,
    envelopes: Sequence[Envelope],
    *,
    outcome: str,
    now: datetime,
    database_url: str,
) -> set[uuid.UUID]:
    """Record events as processed in the session's transaction; return the ids that were new."""
    if not envelopes:
        return set()
    dialect: Any = sqlite if is_sqlite(database_url) else postgresql
    rows = [
        {"event_id": e.event_id, "event_type": e.event_type, "outcome": outcome,
         "processed_at": now}
        for e in envelopes
    ]  # fmt: skip
    stmt = (
        dialect.insert(processed_events_table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed_events_table.c.event_id)
    )
    return set((await session.execute(stmt)).scalars())


async def prune(session: AsyncSession, *, before: datetime) -> None:
    """Forget events processed before `before` (older than any record the topics keep)."""
    await session.execute(
        sa.delete(processed_events_table).where(processed_events_table.c.processed_at < before)
    )
