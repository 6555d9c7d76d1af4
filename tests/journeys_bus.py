"""Events between the services: publish as rights-svc will, read what the services publish."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from journeys_support import Platform

from isoloir.db import utcnow
from isoloir.events import Envelope, EventPayload, envelope_for
from isoloir.events import rights as rights_ev
from isoloir.testing.waiting import eventually


async def publish(
    platform: Platform,
    payload: EventPayload,
    *,
    tenant_id: str | None,
    key: str,
    source: str = "rights",
) -> Envelope:
    """Publish an event on the shared broker as its owner service would."""
    envelope = envelope_for(payload, tenant_id=tenant_id, key=key, source=source)
    settings = platform.contacts.settings
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=False, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic(type(payload).topic), value=envelope.to_bytes(), key=key.encode()
        )
    finally:
        await producer.stop()
    return envelope


def rights_request(
    kind: rights_ev.RequestKind,
    *,
    campaign_id: uuid.UUID | None,
    contact_ids: list[uuid.UUID],
    email_hash: str | None = None,
) -> rights_ev.RightsRequestOpened:
    now = utcnow()
    return rights_ev.RightsRequestOpened(
        request_id=uuid.uuid4(),
        kind=kind,
        campaign_id=campaign_id,
        contact_ids=contact_ids,
        email_hash=email_hash,
        due_at=now + timedelta(days=30),
        occurred_at=now,
    )


class TopicReader:
    """Reads one topic from its start and keeps every envelope seen."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.seen: list[Envelope] = []

    async def _poll(self) -> None:
        batch = await self.consumer.getmany(timeout_ms=100)
        for records in batch.values():
            self.seen.extend(Envelope.from_bytes(r.value or b"") for r in records)

    async def wait_for(
        self, predicate: Callable[[Envelope], bool], *, count: int = 1, timeout: float = 15
    ) -> list[Envelope]:
        """Return the first `count` envelopes that match, waiting for them to arrive."""

        async def arrived() -> list[Envelope] | None:
            await self._poll()
            found = [e for e in self.seen if predicate(e)]
            return found[:count] if len(found) >= count else None

        found: list[Envelope] | None = await eventually(arrived, timeout=timeout, interval=0.01)
        assert found is not None
        return found


@asynccontextmanager
async def topic_reader(platform: Platform, topic: str) -> AsyncIterator[TopicReader]:
    settings = platform.contacts.settings
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        yield TopicReader(consumer)
    finally:
        await consumer.stop()
