"""Measure the ledger on PostgreSQL: appends through the API, then a full chain verification.

Run by hand (not part of the test suite):
    uv run python bench/consent_ledger.py --entries 5000 --concurrency 16
It starts its own broker, creates and drops a database of its own, and prints the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from consent_svc.app import create_app
from consent_svc.config import ConsentSettings
from consent_svc.models import KnownContact
from isoloir import db
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens


async def main(entries: int, concurrency: int) -> None:
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
        )
        tokens = Tokens()
        campaign = uuid.uuid4()
        headers = tokens.headers(campaign_id=campaign, roles=["campaign_manager"])
        async with running(create_app(settings)) as svc:
            await svc.client.post(
                f"/v1/campaigns/{campaign}/purposes",
                json={
                    "key": "newsletter",
                    "label_fr": "Lettre",
                    "label_en": "Letter",
                    "description_fr": "d",
                    "description_en": "d",
                },
                headers=headers,
            )
            contacts = [uuid.uuid4() for _ in range(200)]
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
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(entries):
                queue.put_nowait(i)

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    response = await svc.client.post(
                        f"/v1/campaigns/{campaign}/contacts/{contacts[i % len(contacts)]}/consents",
                        json={
                            "channel": ["email", "sms", "phone", "post"][i % 4],
                            "purpose": "newsletter",
                            "state": "granted" if i % 5 else "withdrawn",
                            "method": "paper_form",
                            "notice": {"text": "Notice v1"},
                        },
                        headers=headers,
                    )
                    assert response.status_code == 201, response.text

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            appended = time.perf_counter() - started
            started = time.perf_counter()
            report = await svc.client.get(
                f"/v1/campaigns/{campaign}/ledger/verify", headers=headers, timeout=600
            )
            verified = time.perf_counter() - started
        body = report.json()
        print(f"appended {entries} entries in {appended:.1f}s: {entries / appended:.0f} entries/s")
        print(
            f"verified {body['entries_checked']} entries in {verified:.2f}s: "
            f"{body['entries_checked'] / verified:.0f} entries/s (ok={body['ok']})"
        )
    finally:
        await databases.drop_all()
        broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.concurrency))
