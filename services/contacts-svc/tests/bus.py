"""Events in tests: publish as another service would, and read what contacts-svc published."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

from isoloir import db
from isoloir.events import REGISTRY, Envelope, EventPayload
from isoloir.testing.plugin import RunningService


async def publish(
    svc: RunningService, payload: EventPayload, *, tenant_id: str | None, key: str
) -> None:
    """Send an event through the real outbox, relay and broker (as its owner service would)."""
    async with db.transaction(svc.kernel.sessionmaker) as session:
        await svc.kernel.outbox.add(session, payload, tenant_id=tenant_id, key=key)


async def published(
    svc: RunningService,
    event_type: str,
    where: Callable[[dict[str, Any]], bool] = lambda _: True,
    *,
    count: int = 1,
    timeout: float = 15,
) -> list[Envelope]:
    """Read the event type's topic from the start until `count` matching events have arrived."""
    topic = svc.settings.topic(REGISTRY.topic_of(event_type))
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=svc.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(found) < count:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value or b"")
                    if envelope.event_type == event_type and where(envelope.payload):
                        found.append(envelope)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    assert len(found) >= count, f"{event_type}: {len(found)} of {count} events arrived"
    return found
