"""Bulk writes for the hot paths (imports, purges): many events or rows in one statement.

Events still go through the kernel's outbox table in the caller's transaction, exactly as
`Outbox.add` writes them, only many at once; on PostgreSQL rows are loaded with COPY.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from isoloir.db import is_sqlite, outbox_table
from isoloir.events import REGISTRY, EventPayload, envelope_for
from isoloir.outbox import Outbox

OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "value", "created_at")


def outbox_records(
    outbox: Outbox, items: Iterable[tuple[EventPayload, str | None, str]]
) -> list[tuple[Any, ...]]:
    """Return outbox rows for (payload, tenant, key) items, in OUTBOX_COLUMNS order."""
    settings = outbox.settings
    rows = []
    topics: dict[str, str] = {}
    for payload, tenant_id, key in items:
        envelope = envelope_for(payload, tenant_id=tenant_id, key=key, source=settings.service_name)
        topic = topics.get(envelope.event_type)
        if topic is None:
            topic = settings.topic(REGISTRY.topic_of(envelope.event_type))
            topics[envelope.event_type] = topic
        rows.append(
            (
                envelope.event_id,
                topic,
                key,
                envelope.event_type,
                envelope.to_bytes(),
                envelope.occurred_at,
            )
        )
    return rows


async def copy_rows(
    session: AsyncSession, *, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]
) -> None:
    """Load rows (COPY on PostgreSQL, a batched INSERT elsewhere) in the session's transaction."""
    if not records:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
        return
    target = sa.table(table, *(sa.column(c) for c in columns))
    await session.execute(sa.insert(target), [dict(zip(columns, r, strict=True)) for r in records])


async def add_events(
    session: AsyncSession, outbox: Outbox, items: Iterable[tuple[EventPayload, str | None, str]]
) -> int:
    """Queue many events in the session's transaction; the relay is woken after commit."""
    return await add_records(session, outbox, outbox_records(outbox, items))


async def add_records(session: AsyncSession, outbox: Outbox, records: list[tuple[Any, ...]]) -> int:
    """Write outbox rows in the session's transaction; the relay is woken after commit."""
    if not records:
        return 0
    if is_sqlite(outbox.settings.database_url):
        await session.execute(
            sa.insert(outbox_table), [dict(zip(OUTBOX_COLUMNS, r, strict=True)) for r in records]
        )
    else:
        await copy_rows(session, table=outbox_table.name, columns=OUTBOX_COLUMNS, records=records)
    if outbox.on_commit is not None:
        callback = outbox.on_commit
        sa.event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)
    return len(records)
