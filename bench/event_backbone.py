"""Throughput of the event backbone, beside what its parts can do alone, in one run.

    uv run python bench/event_backbone.py --events 3000 --concurrency 16

Measured:
- platform: notes written through a service's API (one transaction each: row + outbox event),
  published by the relay, applied by a second service's idempotent consumer; from the first
  write to the last event applied.
- baseline, broker: the same number of records produced with aiokafka (acks=all) and read back
  by a plain consumer group, no database.
- baseline, database: the same number of single-row INSERT transactions on PostgreSQL.
It starts its own broker and creates (then drops) its own databases.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared" / "tests"))

from probe_svc.app import Applied, NoteCreated, ProbeSettings, create_app

from isoloir.db import outbox_table
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import running
from isoloir.testing.postgres import ADMIN_DSN, DatabaseFactory
from isoloir.testing.tokens import Tokens


async def platform_rate(
    broker: LocalBroker, databases: DatabaseFactory, n: int, conc: int
) -> float:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    common = {
        "dev_mode": True,
        "kafka_bootstrap_servers": broker.bootstrap,
        "topic_prefix": prefix,
        "broker_keeps_state": False,
        "consumer_session_timeout_ms": 2000,
        "log_level": "WARNING",
    }
    writer = ProbeSettings(**common, database_url=await databases.create("writer"))
    reader = ProbeSettings(
        **common, database_url=await databases.create("reader"), consumer_group=f"{prefix}reader"
    )
    campaign = uuid.uuid4()
    headers = Tokens().headers(campaign_id=campaign)
    async with (
        running(create_app(writer, handles_notes=False)) as a,
        running(create_app(reader)) as b,
    ):
        await asyncio.sleep(2)  # let the reader join its group before the clock starts
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                r = await a.client.post(
                    f"/v1/campaigns/{campaign}/notes", json={"text": f"n{i}"}, headers=headers
                )
                assert r.status_code == 201, r.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        written = time.perf_counter() - started
        while True:
            async with b.kernel.sessionmaker() as session:
                done = await session.scalar(sa.select(sa.func.count()).select_from(Applied))
            if done and done >= n:
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    print(f"  writes alone: {n / written:,.0f} writes/s ({written:.1f}s)")
    return n / elapsed


async def drain_rate(broker: LocalBroker, databases: DatabaseFactory, n: int) -> float:
    """Publish a backlog of n events first, then time a fresh consumer group applying them."""
    prefix = f"drain{uuid.uuid4().hex[:6]}."
    common = {
        "dev_mode": True,
        "kafka_bootstrap_servers": broker.bootstrap,
        "topic_prefix": prefix,
        "broker_keeps_state": False,
        "consumer_session_timeout_ms": 2000,
        "log_level": "WARNING",
    }
    writer = ProbeSettings(**common, database_url=await databases.create("dwriter"))
    reader = ProbeSettings(
        **common, database_url=await databases.create("dreader"), consumer_group=f"{prefix}r"
    )
    campaign = uuid.uuid4()
    async with running(create_app(writer, handles_notes=False)) as a:
        async with a.kernel.sessionmaker() as session, session.begin():
            for i in range(n):
                payload = NoteCreated(note_id=uuid.uuid4(), campaign_id=campaign, text=f"d{i}")
                await a.kernel.outbox.add(
                    session, payload, tenant_id=str(campaign), key=str(payload.note_id)
                )
        await a.kernel.relay.wait_published([], timeout=1)
        while await _outbox_left(a):  # noqa: ASYNC110 - polling another component's table
            await asyncio.sleep(0.05)
    started = time.perf_counter()
    async with running(create_app(reader)) as b:
        while True:
            async with b.kernel.sessionmaker() as session:
                done = await session.scalar(sa.select(sa.func.count()).select_from(Applied))
            if done and done >= n:
                break
            await asyncio.sleep(0.05)
    return n / (time.perf_counter() - started)


async def _outbox_left(svc: object) -> int:
    kernel = svc.kernel  # type: ignore[attr-defined]
    async with kernel.sessionmaker() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(outbox_table)) or 0)


async def broker_rate(broker: LocalBroker, n: int) -> float:
    topic = f"bench-raw-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=f"{topic}-g",
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, value=b"x" * 400, key=str(i).encode()) for i in range(n)
        ]
        await asyncio.gather(*futures)
        seen = 0
        while seen < n:
            batch = await consumer.getmany(timeout_ms=200)
            seen += sum(len(records) for records in batch.values())
        return n / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


async def database_rate(databases: DatabaseFactory, n: int, conc: int) -> float:
    url = await databases.create("raw")
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]
    pool = await asyncpg.create_pool(dsn, min_size=conc, max_size=conc)
    assert pool is not None
    try:
        await pool.execute("CREATE TABLE notes (id uuid PRIMARY KEY, text text NOT NULL)")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            async with pool.acquire() as conn:
                while not queue.empty():
                    i = queue.get_nowait()
                    async with conn.transaction():
                        await conn.execute(
                            "INSERT INTO notes VALUES ($1, $2)", uuid.uuid4(), f"n{i}"
                        )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return n / (time.perf_counter() - started)
    finally:
        await pool.close()


async def main(n: int, conc: int) -> None:
    broker = LocalBroker()
    broker.start()
    databases = DatabaseFactory()
    try:
        print(f"event backbone, {n} events, {conc} concurrent writers")
        rate = await platform_rate(broker, databases, n, conc)
        print(
            f"  platform (API write -> outbox -> relay -> broker -> consumer): {rate:,.0f} events/s"
        )
        drained = await drain_rate(broker, databases, n)
        print(
            f"  platform, backlog drained by a new consumer (start-up included): {drained:,.0f}/s"
        )
        raw_broker = await broker_rate(broker, n)
        print(f"  baseline, broker alone (produce acks=all + consume): {raw_broker:,.0f} records/s")
        raw_db = await database_rate(databases, n, conc)
        print(f"  baseline, PostgreSQL alone (1-row transactions): {raw_db:,.0f} tx/s")
    finally:
        await databases.drop_all()
        broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
