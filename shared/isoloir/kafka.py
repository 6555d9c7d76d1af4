"""Kafka helpers on aiokafka: one lazily (re)connected producer, topic creation, consumers.

Nothing here assumes the broker is up: a service starts, serves and takes writes while the
broker is away; its events wait in the outbox and the producer reconnects later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from isoloir.events import DEAD_LETTER_TOPIC, REGISTRY
from isoloir.settings import ServiceSettings

log = logging.getLogger("isoloir.kafka")


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached within the configured timeout."""


class Broker:
    """The service's connection to Kafka, shared by the relay, the consumer and /readyz."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._topics_ready = False

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap_servers

    @property
    def timeout(self) -> float:
        return self.settings.broker_timeout_seconds

    def all_topics(self) -> list[str]:
        """Return the full names of every platform topic, dead letters included."""
        names = {*REGISTRY.topics(), DEAD_LETTER_TOPIC}
        return sorted(self.settings.topic(name) for name in names)

    async def producer(self) -> AIOKafkaProducer:
        """Return a started producer, connecting (and creating topics) if needed."""
        async with self._lock:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=f"{self.settings.service_name}-producer",
                acks="all",
                # Tansu (the embedded broker) has no InitProducerId: correctness comes from
                # the outbox plus idempotent consumers, not from producer idempotence.
                enable_idempotence=False,
                request_timeout_ms=int(self.timeout * 1000),
                linger_ms=5,
            )
            try:
                await asyncio.wait_for(producer.start(), self.timeout)
            except (KafkaError, OSError, TimeoutError) as exc:
                await _quietly_stop(producer)
                raise BrokerUnavailable(f"broker at {self.bootstrap} unreachable: {exc!r}") from exc
            self._producer = producer
        if not self._topics_ready:
            try:
                await self.ensure_topics(self.all_topics())
            except (KafkaError, OSError, TimeoutError) as exc:
                await self.reset()
                raise BrokerUnavailable(f"could not create topics: {exc!r}") from exc
        return producer

    async def reset(self) -> None:
        """Drop the producer after a failure; the next call reconnects and re-creates topics."""
        async with self._lock:
            producer, self._producer = self._producer, None
            self._topics_ready = False
        if producer is not None:
            await _quietly_stop(producer)

    async def ensure_topics(self, names: Iterable[str]) -> None:
        """Create the topics that do not exist yet (a restarted memory broker has none)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, request_timeout_ms=int(self.timeout * 1000)
        )
        await asyncio.wait_for(admin.start(), self.timeout)
        try:
            existing = set(await asyncio.wait_for(admin.list_topics(), self.timeout))
            missing = [n for n in names if n not in existing]
            if missing:
                new = [
                    NewTopic(n, self.settings.topic_partitions, replication_factor=1)
                    for n in missing
                ]
                with contextlib.suppress(TopicAlreadyExistsError):
                    await asyncio.wait_for(admin.create_topics(new), self.timeout)
                log.info("topics created", extra={"topics": missing})
            self._topics_ready = True
        finally:
            await admin.close()

    async def ping(self) -> None:
        """Fetch cluster metadata; raise BrokerUnavailable if the broker does not answer."""
        try:
            producer = await self.producer()
            metadata = await asyncio.wait_for(
                producer.client.fetch_all_metadata(), min(self.timeout, 2.0)
            )
        except (KafkaError, OSError, TimeoutError, BrokerUnavailable) as exc:
            raise BrokerUnavailable(str(exc)) from exc
        if not metadata.brokers():
            raise BrokerUnavailable("the broker returned no brokers in its metadata")

    def consumer(self, topics: Iterable[str], *, group_id: str) -> AIOKafkaConsumer:
        """Return an unstarted consumer with manual offset commits."""
        return AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=group_id,
            client_id=f"{self.settings.service_name}-consumer",
            enable_auto_commit=False,
            # A restarted memory broker forgets committed offsets: starting from the earliest
            # record re-reads only what it holds, and the processed-event table drops repeats.
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.consumer_poll_ms,
            request_timeout_ms=max(int(self.timeout * 1000), 10_000),
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=max(self.settings.consumer_session_timeout_ms // 4, 250),
            rebalance_timeout_ms=self.settings.consumer_session_timeout_ms,
            metadata_max_age_ms=5_000,
        )

    async def close(self) -> None:
        await self.reset()


async def _quietly_stop(client: AIOKafkaProducer | AIOKafkaConsumer) -> None:
    try:
        await asyncio.wait_for(client.stop(), 5)
    except Exception:
        log.debug("client stop failed", exc_info=True)
