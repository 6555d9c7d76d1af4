"""Fresh PostgreSQL databases for tests, created and dropped by each run."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

ADMIN_DSN = os.environ.get("ISOLOIR_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _async_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


class DatabaseFactory:
    """Creates databases named after the run, and drops them all at the end."""

    def __init__(self, admin_dsn: str = ADMIN_DSN) -> None:
        self.admin_dsn = admin_dsn
        self.run_id = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    async def create(self, label: str = "db") -> str:
        """Create an empty database and return its SQLAlchemy async URL."""
        name = f"isoloir_t_{self.run_id}_{label}_{len(self.created)}"[:63]
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return _async_url(self.admin_dsn, name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()

    def drop_all_sync(self) -> None:
        asyncio.run(self.drop_all())
