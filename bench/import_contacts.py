"""Benchmark: import a generated 1,000,000-row contact file into a fresh PostgreSQL database.

Run by hand from the repository root (not part of the test suite):

    uv run python bench/import_contacts.py [--rows 1000000] [--chunk-rows 5000]

It generates a realistic French file (in a child process, so its memory is not counted),
starts the real contacts-svc app in this process (migrations, relay, consumers, the embedded
broker), uploads the file through the HTTP API (streamed), and waits until the import is done.
The contacts, their contact.created events in the outbox, the error lines and the counters
are all written by the real import path. The relay is paused during the import so the
rate measured is the import's own; with --drain the outbox is then published and that rate
printed too.
In the same run, the same file is loaded with a plain COPY into a bare table, for scale.
Prints rows/s of both and the process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from isoloir.auth import Role
from isoloir.db import outbox_table
from isoloir.localbroker import LocalBroker
from isoloir.testing.tokens import Tokens

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
HERE = Path(__file__).parent


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cells(path: Path) -> Iterator[tuple[str | None, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        rows = csv.reader(source, delimiter=";")
        width = len(next(rows))
        for row in rows:
            yield tuple((row + [None] * width)[:width])  # type: ignore[operator]


async def plain_copy(dsn: str, path: Path) -> float:
    """COPY the same rows into a bare table (no index, no check); return the seconds it took."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE bare_copy (civ text, first text, last text, email text,"
            " phone text, address text, station text, year text)"
        )
        started = time.perf_counter()
        await conn.copy_records_to_table("bare_copy", records=_cells(path))
        return time.perf_counter() - started
    finally:
        await conn.close()


def generate(rows: int) -> tuple[Path, dict[str, Any]]:
    """Write the file in a child process, so its memory is not this process's peak."""
    work = Path(tempfile.mkdtemp(prefix="isoloir-bench-"))
    path = work / "contacts.csv"
    started = time.perf_counter()
    generated = subprocess.run(
        [sys.executable, str(HERE / "contacts_data.py"), str(path), str(rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    expected: dict[str, Any] = json.loads(generated.stdout)
    print(
        f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB)"
        f" in {time.perf_counter() - started:.0f}s: {expected}"
    )
    return path, expected


async def main(
    path: Path, expected: dict[str, Any], rows: int, chunk_rows: int, drain: bool
) -> None:
    work = path.parent
    name = f"isoloir_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    broker = LocalBroker()
    broker.start()
    try:
        settings = ContactsSettings(
            dev_mode=True,
            database_url=dsn.replace("postgresql://", "postgresql+asyncpg://"),
            kafka_bootstrap_servers=broker.bootstrap,
            topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
            broker_keeps_state=False,
            import_chunk_rows=chunk_rows,
            import_dir=work / "uploads",
            log_level="WARNING",
        )
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
            kernel = app.state.kernel
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=600
            ) as client:
                await run_import(client, kernel, settings, path, rows, expected, drain)
        copy_seconds = await plain_copy(dsn, path)
        print(
            f"plain COPY of the same file into a bare table: {copy_seconds:.1f}s"
            f" = {rows / copy_seconds:,.0f} rows/s"
        )
        print(f"peak memory of this process (ru_maxrss): {peak_mb():.0f} MB")
    finally:
        broker.stop()
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run_import(
    client: httpx.AsyncClient,
    kernel: object,
    settings: ContactsSettings,
    path: Path,
    rows: int,
    expected: dict[str, Any],
    drain: bool,
) -> None:
    tokens = Tokens()
    party = tokens.party_id
    admin = {"Authorization": f"Bearer {tokens.mint(campaign_id=None, roles=[Role.PARTY_ADMIN])}"}
    (
        await client.put(f"/v1/parties/{party}", json={"name": "Parti"}, headers=admin)
    ).raise_for_status()
    today = date.today()
    campaign = (
        await client.post(
            f"/v1/parties/{party}/campaigns",
            json={
                "candidate_name": "Marie Curie",
                "election_kind": "legislatives",
                "election_rounds": [
                    str(today + timedelta(days=30)),
                    str(today + timedelta(days=37)),
                ],
                "territory": "Finistère (29-02)",
                "ends_on": str(today + timedelta(days=90)),
                "rights_contact_email": "droits@campagne.example.org",
            },
            headers=admin,
        )
    ).json()["id"]
    manager = {
        "Authorization": "Bearer "
        + tokens.mint(campaign_id=campaign, roles=[Role.CAMPAIGN_MANAGER])
    }
    file_id = (
        await client.post(
            f"/v1/campaigns/{campaign}/files",
            json={
                "name": "Adhérents",
                "purpose": "Campaign news for members",
                "provenance": "party_members",
            },
            headers=manager,
        )
    ).json()["id"]
    await kernel.relay.stop()  # type: ignore[attr-defined]

    async def body():  # type: ignore[no-untyped-def]
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                yield chunk

    started = time.perf_counter()
    response = await client.post(
        f"/v1/campaigns/{campaign}/imports?file_id={file_id}",
        content=body(),
        headers={**manager, "content-type": "text/csv"},
    )
    response.raise_for_status()
    job_id = response.json()["id"]
    uploaded = time.perf_counter() - started
    while True:
        job = (
            await client.get(f"/v1/campaigns/{campaign}/imports/{job_id}", headers=manager)
        ).json()
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.5)
    seconds = time.perf_counter() - started
    async with kernel.sessionmaker() as session:  # type: ignore[attr-defined]
        events = await session.scalar(
            sa.select(sa.func.count()).where(outbox_table.c.event_type == "contact.created")
        )
    counts = {
        k: job[k]
        for k in (
            "status",
            "rows_read",
            "created",
            "merged",
            "unchanged",
            "duplicates",
            "skipped",
            "errors",
        )
    }
    print(f"import: {counts}; contact.created events in the outbox: {events:,}")
    print(
        f"upload streamed in {uploaded:.1f}s; import done in {seconds:.1f}s"
        f" = {rows / seconds:,.0f} rows/s"
    )
    assert job["status"] == "done", job
    assert events == job["created"] == expected["people"], "import incomplete"

    if not drain:
        return
    drain_started = time.perf_counter()
    kernel.relay._stopping = False  # type: ignore[attr-defined]
    kernel.relay.start()  # type: ignore[attr-defined]
    while True:
        async with kernel.sessionmaker() as session:  # type: ignore[attr-defined]
            left = await session.scalar(sa.select(sa.func.count()).select_from(outbox_table))
        if not left:
            break
        await asyncio.sleep(1)
    drained = time.perf_counter() - drain_started
    print(
        f"relay published the {events:,} events in {drained:.0f}s"
        f" = {events / drained:,.0f} events/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=5000)
    parser.add_argument(
        "--drain", action="store_true", help="Also time the relay publishing the events."
    )
    args = parser.parse_args()
    file, expected = generate(args.rows)
    try:
        asyncio.run(main(file, expected, args.rows, args.chunk_rows, args.drain))
    finally:
        file.unlink(missing_ok=True)
