"""The transactional outbox and its relay.

A state change and its events are written in one transaction (`add`); the relay publishes
waiting rows in id order and deletes them only once the broker has acknowledged them
(acks=all). A crash between publish and delete publishes again; consumers drop the repeat.
On PostgreSQL one relay at a time holds a transaction-level advisory lock, so replicas never
publish the same rows concurrently or out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isoloir.db import is_sqlite, outbox_table, utcnow
from isoloir.events import REGISTRY, Envelope, EventPayload, envelope_for
from isoloir.kafka import Broker, BrokerUnavailable
from isoloir.metrics import Metrics
from isoloir.settings import ServiceSettings

log = logging.getLogger("isoloir.outbox")

# Arbitrary constant: the advisory lock that elects the publishing relay on PostgreSQL.
RELAY_LOCK_ID = 0x150_1017
BATCH_SIZE = 500


async def add(
    session: AsyncSession,
    payload: EventPayload,
    *,
    tenant_id: str | None,
    key: str,
    source: str,
    topic_prefix: str,
    on_commit: Callable[[], None] | None = None,
) -> Envelope:
    """Write an event to the outbox in the session's transaction and return its envelope."""
    envelope = envelope_for(payload, tenant_id=tenant_id, key=key, source=source)
    await session.execute(
        sa.insert(outbox_table).values(
            event_id=envelope.event_id,
            topic=f"{topic_prefix}{REGISTRY.topic_of(envelope.event_type)}",
            key=key,
            event_type=envelope.event_type,
            value=envelope.to_bytes(),
            created_at=envelope.occurred_at,
        )
    )
    if on_commit is not None:
        callback = on_commit
        sa.event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)
    return envelope


class Outbox:
    """Binds `add` to one service's settings and relay, so call sites pass only what varies."""

    def __init__(
        self, settings: ServiceSettings, *, on_commit: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self.on_commit = on_commit

    async def add(
        self, session: AsyncSession, payload: EventPayload, *, tenant_id: str | None, key: str
    ) -> Envelope:
        """Queue an event in the session's transaction; the relay is woken after commit."""
        return await add(
            session,
            payload,
            tenant_id=tenant_id,
            key=key,
            source=self.settings.service_name,
            topic_prefix=self.settings.topic_prefix,
            on_commit=self.on_commit,
        )


class Relay:
    """Publishes the outbox; woken after each commit that wrote events, and on a timer."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        broker: Broker,
        metrics: Metrics,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.broker = broker
        self.metrics = metrics
        self.now = now
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._published = asyncio.Condition()
        self._counted_at = 0.0
        self.healthy = False

    def wake(self) -> None:
        """Ask for a publishing round now."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                published = await self.publish_once()
                self.healthy = True
                backoff = 0.2
                if published:
                    continue  # more may be waiting
            except (BrokerUnavailable, KafkaError, OSError, TimeoutError) as exc:
                self.healthy = False
                self.metrics.relay_failures.inc()
                log.warning("relay could not publish; retrying", extra={"error": repr(exc)})
                await self.broker.reset()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except sa.exc.DBAPIError as exc:
                self.healthy = False
                log.warning("relay could not read the outbox", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.relay_poll_seconds)
            self._wake.clear()

    async def publish_once(self) -> int:
        """Publish one batch of waiting events; return how many were published."""
        async with self.sessionmaker() as session, session.begin():
            if not await self._elected(session):
                return 0
            rows = (
                await session.execute(
                    sa.select(
                        outbox_table.c.id,
                        outbox_table.c.topic,
                        outbox_table.c.key,
                        outbox_table.c.event_type,
                        outbox_table.c.value,
                        outbox_table.c.created_at,
                    )
                    .order_by(outbox_table.c.id)
                    .limit(BATCH_SIZE)
                )
            ).all()
            if not rows:
                self.metrics.outbox_pending.set(0)
                self.metrics.outbox_oldest_age.set(0)
                return 0
            self.metrics.outbox_oldest_age.set((self.now() - rows[0].created_at).total_seconds())
            producer = await self.broker.producer()
            futures = [
                await producer.send(row.topic, value=row.value, key=row.key.encode())
                for row in rows
            ]
            await asyncio.wait_for(
                asyncio.gather(*futures), self.settings.broker_timeout_seconds * 2
            )
            await session.execute(
                sa.delete(outbox_table).where(outbox_table.c.id.in_([r.id for r in rows]))
            )
        for row in rows:
            self.metrics.events_published.labels(row.event_type).inc()
        async with self._published:
            self._published.notify_all()
        if len(rows) < BATCH_SIZE:
            self.metrics.outbox_pending.set(0)
        else:
            await self._update_pending_gauge()
        return len(rows)

    async def _elected(self, session: AsyncSession) -> bool:
        if is_sqlite(self.settings.database_url):
            return True
        got = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_LOCK_ID)))
        return bool(got)

    async def _update_pending_gauge(self) -> None:
        # A backlog is being drained: count it, but not on every round.
        if time.monotonic() - self._counted_at < 5.0:
            return
        self._counted_at = time.monotonic()
        async with self.sessionmaker() as session:
            count = await session.scalar(sa.select(sa.func.count()).select_from(outbox_table))
        self.metrics.outbox_pending.set(count or 0)

    async def wait_published(self, event_ids: Iterable[uuid.UUID], *, timeout: float) -> None:
        """Return once these events have left the outbox for the broker; TimeoutError if not.

        Works across replicas: it is the outbox row's disappearance that proves publication.
        """
        ids = list(event_ids)
        self.wake()

        async def _gone() -> bool:
            async with self.sessionmaker() as session:
                left = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(outbox_table)
                    .where(outbox_table.c.event_id.in_(ids))
                )
            return not left

        async def _wait() -> None:
            while not await _gone():
                self.wake()
                async with self._published:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._published.wait(), 0.2)

        await asyncio.wait_for(_wait(), timeout)
