"""The consent ledger on PostgreSQL: appends through the API and a full chain verification.

    uv run python bench/consent_ledger.py --entries 2000 --concurrency 16

Printed beside baselines measured in the same run:
- appends into one campaign (one hash chain, appends serialised by its head row lock);
- the same appends spread over 16 campaigns (16 chains progressing in parallel);
- baseline: bare single-row INSERT transactions on PostgreSQL at the same concurrency.
It starts its own broker and creates (then drops) its own databases.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import asyncpg

from consent_svc.app import create_app
from consent_svc.config import ConsentSettings
from consent_svc.models import KnownContact
from isoloir import db
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.postgres import ADMIN_DSN, DatabaseFactory
from isoloir.testing.tokens import Tokens

PURPOSE = {
    "key": "newsletter",
    "label_fr": "Lettre",
    "label_en": "Letter",
    "description_fr": "Nouvelles de la campagne",
    "description_en": "Campaign news",
}


async def prepare(svc: RunningService, tokens: Tokens, campaign: uuid.UUID) -> list[uuid.UUID]:
    """Create the purpose and 100 known regular contacts of a campaign."""
    headers = tokens.headers(campaign_id=campaign, roles=["campaign_manager"])
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/purposes", json=PURPOSE, headers=headers
    )
    assert response.status_code == 201, response.text
    contacts = [uuid.uuid4() for _ in range(100)]
    async with db.transaction(svc.kernel.sessionmaker) as session:
        for contact in contacts:
            session.add(
                KnownContact(
                    contact_id=contact,
                    campaign_id=campaign,
                    kind="regular",
                    updated_at=db.utcnow(),
                )
            )
    return contacts


async def append_rate(
    svc: RunningService, tokens: Tokens, campaigns: list[uuid.UUID], entries: int, conc: int
) -> float:
    contacts = {c: await prepare(svc, tokens, c) for c in campaigns}
    headers = {c: tokens.headers(campaign_id=c, roles=["campaign_manager"]) for c in campaigns}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(entries):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            campaign = campaigns[i % len(campaigns)]
            contact = contacts[campaign][i % 100]
            response = await svc.client.post(
                f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
                json={
                    "channel": ["email", "sms", "phone", "post"][i % 4],
                    "purpose": "newsletter",
                    "state": "granted" if i % 5 else "withdrawn",
                    "method": "paper_form",
                    "notice": {"text": "Notice v1"},
                },
                headers=headers[campaign],
            )
            assert response.status_code == 201, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return entries / (time.perf_counter() - started)


async def database_rate(databases: DatabaseFactory, n: int, conc: int) -> float:
    url = await databases.create("rawledger")
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]
    pool = await asyncpg.create_pool(dsn, min_size=conc, max_size=conc)
    assert pool is not None
    try:
        await pool.execute("CREATE TABLE entries (id uuid PRIMARY KEY, body text NOT NULL)")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            async with pool.acquire() as conn:
                while not queue.empty():
                    i = queue.get_nowait()
                    async with conn.transaction():
                        await conn.execute(
                            "INSERT INTO entries VALUES ($1, $2)", uuid.uuid4(), f"e{i}"
                        )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return n / (time.perf_counter() - started)
    finally:
        await pool.close()


async def main(entries: int, conc: int) -> None:
    broker = LocalBroker()
    broker.start()
    databases = DatabaseFactory()
    try:
        settings = ConsentSettings(
            dev_mode=True,
            kafka_bootstrap_servers=broker.bootstrap,
            topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
            broker_keeps_state=False,
            database_url=await databases.create("consentbench"),
            log_level="WARNING",
        )
        tokens = Tokens()
        one = [uuid.uuid4()]
        many = [uuid.uuid4() for _ in range(16)]
        print(f"consent ledger, {entries} appends, {conc} concurrent requests")
        async with running(create_app(settings)) as svc:
            rate_one = await append_rate(svc, tokens, one, entries, conc)
            print(f"  appends, one campaign (one chain): {rate_one:,.0f} entries/s")
            rate_many = await append_rate(svc, tokens, many, entries, conc)
            print(f"  appends, spread over 16 campaigns: {rate_many:,.0f} entries/s")
            started = time.perf_counter()
            report = await svc.client.get(
                f"/v1/campaigns/{one[0]}/ledger/verify",
                headers=tokens.headers(campaign_id=one[0], roles=["campaign_manager"]),
                timeout=600,
            )
            verified = time.perf_counter() - started
            body = report.json()
            checked = body["entries_checked"]
            print(
                f"  verification: {checked} entries in {verified:.2f}s, "
                f"{checked / verified:,.0f} entries/s (ok={body['ok']})"
            )
        raw = await database_rate(databases, entries, conc)
        print(f"  baseline, PostgreSQL alone (1-row transactions): {raw:,.0f} tx/s")
    finally:
        await databases.drop_all()
        broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.concurrency))
