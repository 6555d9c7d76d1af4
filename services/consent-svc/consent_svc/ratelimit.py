"""Per-client rate limits for voter pages, counted in the database so replicas agree."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from consent_svc import repository
from consent_svc.models import RateBucket
from isoloir import db
from isoloir.signing import keyed_hash

KEEP = timedelta(minutes=10)


async def hit(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    secret: str,
    scope: str,
    client_ip: str,
    limit: int,
    now: datetime,
) -> bool:
    """Count one request of this client in this minute; tell whether it is within the limit."""
    # The IP is kept only as a keyed hash, and the count is committed in a transaction of its
    # own so that it stands even when the request is then refused.
    bucket = keyed_hash(secret=secret, value=f"rate:{scope}:{client_ip}")
    window = now.replace(second=0, microsecond=0)
    async with db.transaction(sessionmaker) as session:
        stmt = repository.insert(session, RateBucket).values(
            bucket=bucket, window_start=window, hits=1
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": col(RateBucket.hits) + 1},
        ).returning(col(RateBucket.hits))
        hits = await session.scalar(stmt)
    return int(hits or 0) <= limit


async def prune(session: AsyncSession, *, now: datetime) -> None:
    """Drop counters of windows long gone."""
    await session.execute(sa.delete(RateBucket).where(col(RateBucket.window_start) < now - KEEP))
