"""Background upkeep: expire unanswered consent requests, prune rate-limit counters."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import ratelimit
from consent_svc.config import ConsentSettings
from consent_svc.ledger import Change, Evidence, LedgerWriter
from consent_svc.models import Current
from isoloir import db, service
from isoloir.outbox import Outbox
from isoloir.service import Kernel
from isoloir.settings import ServiceSettings

log = logging.getLogger("consent_svc.maintenance")
BATCH = 500


async def expire_pending(session: AsyncSession, *, outbox: Outbox, now: datetime) -> int:
    """Expire requests left unanswered past their deadline (silence is not consent, R12)."""
    due = list(
        await session.scalars(
            sa.select(Current)
            .where(
                col(Current.state) == "pending",
                col(Current.expires_at) <= now,
            )
            .order_by(col(Current.campaign_id), col(Current.seq))
            .limit(BATCH)
        )
    )
    if not due:
        return 0
    writer = LedgerWriter(session=session, outbox=outbox, now=now)
    await writer.lock({row.campaign_id for row in due})
    expired = 0
    for row in due:
        # Another replica may have expired it (or the person answered) while we waited.
        state = await session.scalar(
            sa.select(col(Current.state)).where(
                col(Current.campaign_id) == row.campaign_id,
                col(Current.contact_id) == row.contact_id,
                col(Current.channel) == row.channel,
                col(Current.purpose) == row.purpose,
                col(Current.seq) == row.seq,
            )
        )
        if state != "pending":
            continue
        evidence = Evidence(
            method="staff_entry",
            collector="system:expiry",
            occurred_at=now,
            reason="no answer before the request's deadline",
            source_ref=f"entry:{row.entry_id}",
        )
        change = Change(
            contact_id=row.contact_id,
            channel=row.channel,  # type: ignore[arg-type]
            purpose=row.purpose,
            state="expired",
            evidence=evidence,
        )
        await writer.record(campaign_id=row.campaign_id, change=change)
        expired += 1
    return expired


async def run_once(kernel: Kernel, *, now: datetime) -> int:
    """Run one round of upkeep; return how many requests expired."""
    async with db.transaction(kernel.sessionmaker) as session:
        expired = await expire_pending(session, outbox=kernel.outbox, now=now)
    async with db.transaction(kernel.sessionmaker) as session:
        await ratelimit.prune(session, now=now)
    if expired:
        log.info("expired consent requests", extra={"count": expired})
    return expired


async def _upkeep(kernel: Kernel) -> None:
    while await run_once(kernel, now=db.utcnow()) >= BATCH:
        pass  # a full batch: more may be due


def _interval(settings: ServiceSettings) -> float:
    assert isinstance(settings, ConsentSettings)
    return settings.maintenance_interval_seconds


# Run by one replica at a time: two would expire the same request twice.
hook = service.periodic("consent-upkeep", every=_interval, job=_upkeep)
