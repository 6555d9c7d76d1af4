"""The event backbone loses nothing and applies nothing twice (invariant I2).

Every test runs real probe services on PostgreSQL databases of their own and a real broker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from probe_svc.app import Applied, NoteCreated, ProbeSettings, create_app

from isoloir.db import outbox_table, processed_events_table
from isoloir.events import DEAD_LETTER_TOPIC, Envelope, envelope_for
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

CAMPAIGN = uuid.uuid4()


@asynccontextmanager
async def probe_pair(
    service_settings: Any, **overrides: Any
) -> AsyncIterator[tuple[RunningService, RunningService]]:
    """A writer (a) and a consumer of its notes (b), each with its own database and group."""
    settings_a = await service_settings(ProbeSettings, **overrides)
    settings_b = await service_settings(
        ProbeSettings, consumer_group=f"{settings_a.topic_prefix}probe-b", **overrides
    )
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(running(create_app(settings_a, handles_notes=False)))
        b = await stack.enter_async_context(running(create_app(settings_b)))
        yield a, b


async def write_note(svc: RunningService, tokens: Tokens, text: str = "hello") -> uuid.UUID:
    response = await svc.client.post(
        f"/v1/campaigns/{CAMPAIGN}/notes",
        json={"text": text},
        headers=tokens.headers(campaign_id=CAMPAIGN),
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def applied_count(svc: RunningService, note_id: uuid.UUID | None = None) -> int:
    async with svc.kernel.sessionmaker() as session:
        query = sa.select(sa.func.count()).select_from(Applied)
        if note_id is not None:
            query = query.where(Applied.note_id == note_id)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def outbox_count(svc: RunningService) -> int:
    async with svc.kernel.sessionmaker() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(outbox_table)) or 0)


async def processed_outcomes(svc: RunningService) -> dict[str, int]:
    async with svc.kernel.sessionmaker() as session:
        rows = await session.execute(
            sa.select(processed_events_table.c.outcome, sa.func.count()).group_by(
                processed_events_table.c.outcome
            )
        )
        return dict(rows.all())


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes = b"k") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


class TestCrossServiceDelivery:
    async def test_an_event_written_with_a_change_is_applied_by_another_service(
        self, service_settings: Any, tokens: Tokens
    ) -> None:
        async with probe_pair(service_settings) as (a, b):
            note_id = await write_note(a, tokens)

            await eventually(lambda: applied_count(b, note_id), timeout=15)

            assert await applied_count(b, note_id) == 1
            assert await eventually(lambda: _zero(outbox_count(a)), timeout=5)

    async def test_the_same_event_delivered_twice_is_applied_once(
        self, service_settings: Any, broker: LocalBroker
    ) -> None:
        async with probe_pair(service_settings) as (a, b):
            note_id = uuid.uuid4()
            payload = NoteCreated(note_id=note_id, campaign_id=CAMPAIGN, text="twice")
            envelope = envelope_for(payload, tenant_id=str(CAMPAIGN), key=str(note_id), source="t")
            topic = a.settings.topic("probe")

            await publish_raw(broker.bootstrap, topic, envelope.to_bytes())
            await publish_raw(broker.bootstrap, topic, envelope.to_bytes())
            marker = await _publish_marker(broker, topic)
            await eventually(lambda: applied_count(b, marker), timeout=15)

            assert await applied_count(b, note_id) == 1
            assert (await processed_outcomes(b)).get("applied") == 2  # the note and the marker


async def _zero(value: Any) -> bool:
    return (await value) == 0


async def _publish_marker(broker: LocalBroker, topic: str) -> uuid.UUID:
    """Publish one more good event: once applied, everything before it was read."""
    marker = uuid.uuid4()
    payload = NoteCreated(note_id=marker, campaign_id=CAMPAIGN, text="marker")
    envelope = envelope_for(payload, tenant_id=str(CAMPAIGN), key=str(marker), source="t")
    await publish_raw(broker.bootstrap, topic, envelope.to_bytes())
    return marker


class TestRelayCrash:
    async def test_an_event_committed_but_not_published_is_published_after_restart(
        self, service_settings: Any, tokens: Tokens
    ) -> None:
        settings_a = await service_settings(ProbeSettings)
        settings_b = await service_settings(
            ProbeSettings, consumer_group=f"{settings_a.topic_prefix}probe-b"
        )
        async with running(create_app(settings_b)) as b:
            app_a = create_app(settings_a, handles_notes=False)
            async with running(app_a) as a:
                await a.kernel.relay.stop()  # the relay dies before publishing
                note_id = await write_note(a, tokens)
                assert await outbox_count(a) == 1
            await asyncio.sleep(1.0)
            assert await applied_count(b, note_id) == 0

            async with running(create_app(settings_a, handles_notes=False)) as a2:
                await eventually(lambda: applied_count(b, note_id), timeout=15)
                await eventually(lambda: _zero(outbox_count(a2)), timeout=5)

            assert await applied_count(b, note_id) == 1

    async def test_an_event_published_but_not_marked_is_published_again_and_applied_once(
        self, service_settings: Any, tokens: Tokens, broker: LocalBroker
    ) -> None:
        async with probe_pair(service_settings) as (a, b):
            await a.kernel.relay.stop()
            note_id = await write_note(a, tokens)
            # What a relay that crashed after the broker's ack, before its delete, leaves
            # behind: the event is on the topic and still in the outbox.
            async with a.kernel.sessionmaker() as session:
                row = (await session.execute(sa.select(outbox_table))).one()
            await publish_raw(broker.bootstrap, row.topic, row.value, row.key.encode())
            await eventually(lambda: applied_count(b, note_id), timeout=15)

            a.kernel.relay._stopping = False
            a.kernel.relay.start()
            await eventually(lambda: _zero(outbox_count(a)), timeout=10)
            marker = await _publish_marker(broker, row.topic)
            await eventually(lambda: applied_count(b, marker), timeout=15)

            assert await applied_count(b, note_id) == 1
            assert (await processed_outcomes(b)).get("applied") == 2


class TestBrokerOutage:
    async def test_writes_succeed_while_the_broker_is_down_and_every_event_arrives_once(
        self, service_settings: Any, tokens: Tokens, own_broker: LocalBroker
    ) -> None:
        async with probe_pair(service_settings, kafka_bootstrap_servers=own_broker.bootstrap) as (
            a,
            b,
        ):
            before = [await write_note(a, tokens, f"before {i}") for i in range(5)]
            await eventually(lambda: _at_least(applied_count(b), 5), timeout=15)

            own_broker.stop()
            started = time.monotonic()
            during = []
            while time.monotonic() - started < 10:
                t0 = time.monotonic()
                during.append(await write_note(a, tokens, f"during {len(during)}"))
                assert time.monotonic() - t0 < 2, "a write waited on the broker"
                await asyncio.sleep(0.25)
            assert await outbox_count(a) == len(during)
            own_broker.start()
            after = [await write_note(a, tokens, f"after {i}") for i in range(5)]

            expected = len(before) + len(during) + len(after)
            try:
                await eventually(lambda: _at_least(applied_count(b), expected), timeout=60)
            except AssertionError:
                print(
                    "DIAG outbox",
                    await outbox_count(a),
                    "applied",
                    await applied_count(b),
                    "expected",
                    expected,
                    "relay",
                    a.kernel.relay.healthy,
                    "consumer",
                    b.kernel.consumer.healthy,
                    b.kernel.consumer.consumer and b.kernel.consumer.consumer.assignment(),
                )
                raise
            await asyncio.sleep(1.0)  # let any duplicate arrive before counting

            assert await applied_count(b) == expected
            for note_id in before + during + after:
                assert await applied_count(b, note_id) == 1
            assert await outbox_count(a) == 0


async def _at_least(value: Any, n: int) -> bool:
    return (await value) >= n


class TestDeadLetters:
    async def test_poison_events_go_to_the_dead_letter_topic_and_consumption_goes_on(
        self, service_settings: Any, tokens: Tokens, broker: LocalBroker
    ) -> None:
        async with probe_pair(service_settings) as (a, b):
            topic = a.settings.topic("probe")
            dlt = AIOKafkaConsumer(
                a.settings.topic(DEAD_LETTER_TOPIC),
                bootstrap_servers=broker.bootstrap,
                auto_offset_reset="earliest",
                group_id=f"{a.settings.topic_prefix}dlt-reader",
            )
            await dlt.start()
            try:
                await publish_raw(broker.bootstrap, topic, b"{not json")
                bad_payload = Envelope(
                    event_type="probe.note_created",
                    version=1,
                    tenant_id=None,
                    source="t",
                    key="k",
                    payload={"note_id": "not-a-uuid"},
                )
                await publish_raw(broker.bootstrap, topic, bad_payload.to_bytes())
                poison_id = await write_note(a, tokens, "poison")
                good_id = await write_note(a, tokens, "good")

                await eventually(lambda: applied_count(b, good_id), timeout=20)
                letters = await _read(dlt, 3, timeout=15)
            finally:
                await dlt.stop()

            reasons = [dict(m.headers)["reason"].decode() for m in letters]
            assert any("not a valid envelope" in r for r in reasons)
            assert any("note_id" in r for r in reasons)
            assert any("handler failed" in r and "cannot be applied" in r for r in reasons)
            assert all(dict(m.headers)["source_topic"].decode() == topic for m in letters)
            assert await applied_count(b, poison_id) == 0
            assert (await processed_outcomes(b)).get("dead_letter") == 2


async def _read(consumer: AIOKafkaConsumer, n: int, *, timeout: float) -> list[Any]:
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200)
        for records in batch.values():
            out.extend(records)
    assert len(out) >= n, f"only {len(out)} dead letters"
    return out


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from isoloir import consumer

    monkeypatch.setattr(consumer, "MAX_ATTEMPTS", 2)
