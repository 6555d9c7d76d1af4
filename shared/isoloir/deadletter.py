"""The dead-letter topic: the original bytes of an event, with why it could not be applied."""

from __future__ import annotations

import asyncio

from aiokafka.structs import ConsumerRecord

from isoloir.events import DEAD_LETTER_TOPIC
from isoloir.kafka import Broker
from isoloir.settings import ServiceSettings


def headers(
    record: ConsumerRecord, *, reason: str, event_type: str, consumer_group: str
) -> list[tuple[str, bytes]]:
    """Return the headers that tell an operator where a dead letter came from and why."""
    return [
        ("reason", reason[:2000].encode()),
        ("source_topic", record.topic.encode()),
        ("source_partition", str(record.partition).encode()),
        ("source_offset", str(record.offset).encode()),
        ("consumer_group", consumer_group.encode()),
        ("event_type", event_type.encode()),
    ]


async def publish(
    *,
    broker: Broker,
    settings: ServiceSettings,
    record: ConsumerRecord,
    reason: str,
    event_type: str,
) -> None:
    """Publish a record to the dead-letter topic; raises if the broker does not take it."""
    producer = await broker.producer()
    await asyncio.wait_for(
        producer.send_and_wait(
            settings.topic(DEAD_LETTER_TOPIC),
            value=record.value,
            key=record.key,
            headers=headers(
                record,
                reason=reason,
                event_type=event_type,
                consumer_group=settings.consumer_group,
            ),
        ),
        settings.broker_timeout_seconds,
    )
