"""The idempotent consumer.

Each event is applied in one database transaction that also records its `event_id` in the
processed-event table: a repeat finds the record and changes nothing. Offsets are committed
explicitly per partition once its records are applied, and again when partitions are
revoked (aiokafka's rebalance listener). An event that cannot be parsed, or whose handler
keeps failing, goes to the dead-letter topic with the reason and consumption goes on. When
the database or the broker is unreachable, consumption pauses on the same record instead:
such an event is not poison, and it must not be dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isoloir import deadletter, processed
from isoloir.db import utcnow
from isoloir.events import REGISTRY, Envelope, EventPayload, EventSchemaError
from isoloir.kafka import Broker, BrokerUnavailable
from isoloir.metrics import Metrics
from isoloir.outbox import Outbox
from isoloir.settings import ServiceSettings

log = logging.getLogger("isoloir.consumer")

MAX_ATTEMPTS = 3
RUN_SIZE = 200  # records applied per transaction
PROCESSED_RETENTION = timedelta(days=30)


@dataclass
class EventContext:
    """What a handler may use besides the payload: its transaction and collaborators."""

    envelope: Envelope
    session: AsyncSession
    outbox: Outbox
    settings: ServiceSettings
    now: datetime
    extras: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[..., Awaitable[None]]
HandlerMap = Mapping[str, Sequence[Handler]]


class _Pause(Exception):
    """Infrastructure failure: stop on this record and try again later."""


def _is_infrastructure(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError | OSError | TimeoutError):
        return True
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, KafkaError | BrokerUnavailable)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: IdempotentConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Wait for the batch in progress, then commit what was applied on these partitions.
        async with self.owner.lock:
            await self.owner.commit(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": [str(tp) for tp in assigned]})
        consumer = self.owner.consumer
        if assigned and consumer is not None and not self.owner.settings.broker_keeps_state:
            # A restarted memory broker has a new log under the same names, and may even have
            # taken commits made from positions in the old one: only a full re-read is safe.
            await consumer.seek_to_beginning(*assigned)


class IdempotentConsumer:
    """Consumes the topics its handlers need, in the service's consumer group."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        broker: Broker,
        outbox: Outbox,
        metrics: Metrics,
        handlers: HandlerMap,
        extras: Mapping[str, Any] | None = None,
        now: Callable[[], datetime] = utcnow,
        retry_delay: float = 0.2,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.broker = broker
        self.outbox = outbox
        self.metrics = metrics
        self.handlers = {k: list(v) for k, v in handlers.items() if v}
        self.extras = extras or {}
        self.now = now
        self.retry_delay = retry_delay
        self.lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        self.healthy = False
        self._offsets: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_prune = 0.0

    @property
    def topics(self) -> list[str]:
        names = {REGISTRY.topic_of(t) for t in self.handlers}
        return sorted(self.settings.topic(n) for n in names)

    def start(self) -> None:
        if self.handlers:
            self._task = asyncio.create_task(self._run(), name="event-consumer")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_consumer()

    async def _close_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            try:
                async with self.lock:
                    await self.commit(list(self._offsets))
                await asyncio.wait_for(consumer.stop(), 10)
            except Exception:
                log.debug("consumer stop failed", exc_info=True)

    async def _connect(self) -> AIOKafkaConsumer:
        await self.broker.producer()  # proves the broker is there and creates the topics
        consumer = self.broker.consumer((), group_id=self.settings.consumer_group)
        consumer.subscribe(topics=self.topics, listener=_Listener(self))
        try:
            # Joining the group takes up to the session timeout (rebalance included).
            join_limit = self.settings.consumer_session_timeout_ms / 1000 * 2 + 10
            await asyncio.wait_for(consumer.start(), join_limit)
        except BaseException:
            await asyncio.shield(_stop(consumer))
            raise
        return consumer

    async def _run(self) -> None:
        backoff = self.retry_delay
        while not self._stopping:
            try:
                if self.consumer is None:
                    self.consumer = await self._connect()
                batch = await self.consumer.getmany(
                    timeout_ms=self.settings.consumer_poll_ms, max_records=500
                )
                async with self.lock:
                    await self._apply_batch(batch)
                self.healthy = True
                backoff = self.retry_delay
                await self._maybe_prune()
            except _Pause as exc:
                self.healthy = False
                self.metrics.consumer_errors.inc()
                log.warning("consumption paused", extra={"error": repr(exc.__cause__ or exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except (KafkaError, OSError, TimeoutError, BrokerUnavailable) as exc:
                self.healthy = False
                self.metrics.consumer_errors.inc()
                log.warning("consumer reconnecting", extra={"error": repr(exc)})
                await self._close_consumer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _apply_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        assert self.consumer is not None
        partitions = list(batch.items())
        for position, (tp, records) in enumerate(partitions):
            index = 0
            while index < len(records):
                try:
                    done = await self._apply_run(records[index : index + RUN_SIZE])
                    if done == 0:
                        # The careful path for this record: its own transaction, retries,
                        # then the dead-letter topic.
                        await self.process(records[index])
                        done = 1
                except _Pause:
                    # Read again from here, and from the start of every partition not yet
                    # reached in this batch, once the dependency is back.
                    self.consumer.seek(tp, records[index].offset)
                    for later_tp, later in partitions[position + 1 :]:
                        self.consumer.seek(later_tp, later[0].offset)
                    await self.commit([tp])
                    raise
                index += done
                self._offsets[tp] = records[index - 1].offset + 1
            await self.commit([tp])

    async def _apply_run(self, records: Sequence[ConsumerRecord]) -> int:
        """Apply leading records of one partition in one transaction; return how many.

        Stops before the first record that cannot be parsed (left to `process`). Every event
        id is recorded with one statement, and handlers run only for the new ones. If a handler
        fails, nothing of the run is kept and 0 is returned: the caller then takes the careful
        path, one record per transaction, so a key's events are still applied in order.
        """
        parsed: list[tuple[Envelope, EventPayload | None, Sequence[Handler]]] = []
        for record in records:
            try:
                envelope = Envelope.from_bytes(record.value or b"")
                handlers: Sequence[Handler] = self.handlers.get(envelope.event_type) or ()
                payload = envelope.parse_payload() if handlers else None
            except EventSchemaError:
                break
            parsed.append((envelope, payload, handlers))
        if not parsed:
            return 0
        outcomes: list[tuple[str, str]] = []
        started = time.perf_counter()
        try:
            async with self.sessionmaker() as session, session.begin():
                fresh = await processed.record(
                    session,
                    [envelope for envelope, _, handlers in parsed if handlers],
                    outcome="applied",
                    now=self.now(),
                    database_url=self.settings.database_url,
                )
                for envelope, payload, handlers in parsed:
                    if not handlers:
                        outcomes.append((envelope.event_type, "ignored"))
                    elif envelope.event_id not in fresh:
                        outcomes.append((envelope.event_type, "duplicate"))
                    else:
                        fresh.discard(envelope.event_id)  # a repeat within the run
                        ctx = self._context(envelope, session)
                        for handler in handlers:
                            await handler(payload, ctx=ctx)
                        outcomes.append((envelope.event_type, "applied"))
        except Exception as exc:
            if _is_infrastructure(exc):
                raise _Pause(str(exc)) from exc
            log.info("a run failed; applying its records one by one", extra={"error": repr(exc)})
            return 0
        elapsed = time.perf_counter() - started
        for event_type, outcome in outcomes:
            self.metrics.events_consumed.labels(event_type, outcome).inc()
            if outcome == "applied":
                self.metrics.handler_duration.labels(event_type).observe(elapsed / len(outcomes))
        return len(parsed)

    def _context(self, envelope: Envelope, session: AsyncSession) -> EventContext:
        return EventContext(
            envelope=envelope,
            session=session,
            outbox=self.outbox,
            settings=self.settings,
            now=self.now(),
            extras=self.extras,
        )

    async def commit(self, partitions: Sequence[TopicPartition]) -> None:
        """Commit the applied offsets of these partitions (duplicates are harmless)."""
        if self.consumer is None:
            return
        offsets = {tp: self._offsets[tp] for tp in partitions if tp in self._offsets}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            log.info("offset commit failed; records may be read again", extra={"error": repr(exc)})

    async def process(self, record: ConsumerRecord) -> str:
        """Apply one record; return the outcome (applied, duplicate, ignored, dead_letter)."""
        raw: bytes = record.value or b""
        try:
            envelope = Envelope.from_bytes(raw)
        except EventSchemaError as exc:
            await self._dead_letter(record, reason=str(exc), event_type="unparseable")
            return "dead_letter"
        handlers = self.handlers.get(envelope.event_type)
        if not handlers:
            self.metrics.events_consumed.labels(envelope.event_type, "ignored").inc()
            return "ignored"
        try:
            payload = envelope.parse_payload()
        except EventSchemaError as exc:
            await self._dead_letter(
                record, reason=str(exc), event_type=envelope.event_type, envelope=envelope
            )
            return "dead_letter"
        last: BaseException | None = None
        for attempt in range(MAX_ATTEMPTS):
            started = time.perf_counter()
            try:
                outcome = await self._apply(envelope, payload, handlers)
            except Exception as exc:
                if _is_infrastructure(exc):
                    raise _Pause(str(exc)) from exc
                last = exc
                log.warning(
                    "handler failed",
                    extra={
                        "event_id": str(envelope.event_id),
                        "event_type": envelope.event_type,
                        "attempt": attempt + 1,
                        "error": repr(exc),
                    },
                )
                await asyncio.sleep(self.retry_delay * (attempt + 1))
                continue
            self.metrics.handler_duration.labels(envelope.event_type).observe(
                time.perf_counter() - started
            )
            self.metrics.events_consumed.labels(envelope.event_type, outcome).inc()
            return outcome
        reason = f"handler failed {MAX_ATTEMPTS} times: {last!r}"
        await self._dead_letter(
            record, reason=reason, event_type=envelope.event_type, envelope=envelope
        )
        return "dead_letter"

    async def _apply(
        self, envelope: Envelope, payload: EventPayload, handlers: Sequence[Handler]
    ) -> str:
        async with self.sessionmaker() as session, session.begin():
            if not await self._record(session, envelope, outcome="applied"):
                return "duplicate"
            ctx = self._context(envelope, session)
            for handler in handlers:
                await handler(payload, ctx=ctx)
        return "applied"

    async def _record(self, session: AsyncSession, envelope: Envelope, *, outcome: str) -> bool:
        fresh = await processed.record(
            session,
            [envelope],
            outcome=outcome,
            now=self.now(),
            database_url=self.settings.database_url,
        )
        return envelope.event_id in fresh

    async def _dead_letter(
        self,
        record: ConsumerRecord,
        *,
        reason: str,
        event_type: str,
        envelope: Envelope | None = None,
    ) -> None:
        try:
            await deadletter.publish(
                broker=self.broker,
                settings=self.settings,
                record=record,
                reason=reason,
                event_type=event_type,
            )
        except (KafkaError, OSError, TimeoutError, BrokerUnavailable) as exc:
            await self.broker.reset()
            raise _Pause("dead-letter topic unreachable") from exc
        if envelope is not None:
            try:
                async with self.sessionmaker() as session, session.begin():
                    await self._record(session, envelope, outcome="dead_letter")
            except Exception as exc:
                if _is_infrastructure(exc):
                    raise _Pause(str(exc)) from exc
                raise
        self.metrics.events_consumed.labels(event_type, "dead_letter").inc()
        log.error(
            "event sent to the dead-letter topic",
            extra={
                "event_type": event_type,
                "source_topic": record.topic,
                "source_offset": record.offset,
                "reason": reason[:500],
            },
        )

    async def _maybe_prune(self) -> None:
        if not self.settings.broker_keeps_state:
            return  # every partition may be re-read from its start: keep every record
        if time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        cutoff = self.now() - PROCESSED_RETENTION
        try:
            async with self.sessionmaker() as session, session.begin():
                await processed.prune(session, before=cutoff)
        except sa.exc.DBAPIError:
            log.warning("could not prune processed events", exc_info=True)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    try:
        await asyncio.wait_for(consumer.stop(), 5)
    except Exception:
        log.debug("consumer stop failed", exc_info=True)
