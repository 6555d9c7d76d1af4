"""Async database access by URL (PostgreSQL through asyncpg, SQLite through aiosqlite)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """Return a new random identifier."""
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite included)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_metadata() -> sa.MetaData:
    """Return a metadata object with the project's constraint naming convention."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


def model_base(name: str) -> type[SQLModel]:
    """Return a SQLModel base class bound to its own metadata (one per service)."""
    reg = registry(metadata=make_metadata())
    return type(name, (SQLModel,), {"__module__": __name__}, registry=reg)


# Tables every service has; migrated by the kernel's own Alembic branch.
kernel_metadata = make_metadata()

outbox_table = sa.Table(
    "kernel_outbox",
    kernel_metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(120), nullable=False),
    sa.Column("value", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

processed_events_table = sa.Table(
    "kernel_processed_events",
    kernel_metadata,
    sa.Column("event_id", sa.Uuid(), primary_key=True),
    sa.Column("event_type", sa.String(120), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=False, index=True),
)

revoked_subjects_table = sa.Table(
    "kernel_revoked_subjects",
    kernel_metadata,
    sa.Column("subject", sa.String(64), primary_key=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
)


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite files get WAL, foreign keys and a busy timeout."""
    # Statement parameters are personal data (names, addresses): never in error messages.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Open a session, commit when the block succeeds, roll back otherwise."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def exclusive(engine: AsyncEngine, *, name: str) -> AsyncIterator[bool]:
    """Hold a PostgreSQL advisory lock named `name` for the block; yield whether we got it.

    One replica at a time runs what is inside (the others get False and skip); on SQLite,
    which serves one process, it always yields True.
    """
    if is_sqlite(str(engine.url)):
        yield True
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    async with engine.connect() as conn:
        got = bool(await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key))))
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                await conn.commit()


async def ping(engine: AsyncEngine) -> None:
    """Run a trivial query; raise if the database is unreachable."""
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
