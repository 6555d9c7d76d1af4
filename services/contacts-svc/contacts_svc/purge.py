"""The retention purge (R9): expired files lose their contacts, everywhere, with a report.

Batches are committed one by one so a large file never holds one huge transaction; a purge
stopped half-way is finished by the next run, since the file is marked purged only at the end.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from contacts_svc import bulk
from contacts_svc import metrics as contacts_metrics
from contacts_svc.config import ContactsSettings
from contacts_svc.metrics import ContactsMetrics
from contacts_svc.models import (
    Campaign,
    ConsentState,
    Contact,
    ContactFile,
    ContactMerge,
    Import,
    ImportRowError,
    Interaction,
    PurgeReport,
)
from isoloir import db, service
from isoloir.events import contacts as ev
from isoloir.outbox import Outbox
from isoloir.service import Kernel
from isoloir.settings import ServiceSettings

log = logging.getLogger("contacts_svc.purge")
BATCH = 2000


async def _purge_batch(
    session: AsyncSession, outbox: Outbox, file: ContactFile, now: datetime
) -> int:
    rows = (
        await session.execute(
            sa.select(col(Contact.id), col(Contact.email_hash), col(Contact.phone_hash))
            .where(col(Contact.file_id) == file.id, col(Contact.campaign_id) == file.campaign_id)
            .limit(BATCH)
        )
    ).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    hashes = [h for r in rows for h in (r.email_hash, r.phone_hash) if h]
    await session.execute(sa.delete(Interaction).where(col(Interaction.contact_id).in_(ids)))
    await session.execute(sa.delete(ConsentState).where(col(ConsentState.contact_id).in_(ids)))
    await session.execute(sa.delete(ContactMerge).where(col(ContactMerge.kept_id).in_(ids)))
    if hashes:
        await session.execute(
            sa.delete(ImportRowError).where(
                col(ImportRowError.import_id).in_(
                    sa.select(col(Import.id)).where(col(Import.campaign_id) == file.campaign_id)
                ),
                sa.or_(
                    col(ImportRowError.email_hash).in_(hashes),
                    col(ImportRowError.phone_hash).in_(hashes),
                ),
            )
        )
    await session.execute(sa.delete(Contact).where(col(Contact.id).in_(ids)))
    tenant = str(file.campaign_id)
    await bulk.add_events(
        session,
        outbox,
        (
            (
                ev.ContactDeleted(
                    contact_id=i, campaign_id=file.campaign_id, reason="purge", occurred_at=now
                ),
                tenant,
                str(i),
            )
            for i in ids
        ),
    )
    return len(ids)


async def purge_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    file_id: uuid.UUID,
    now: datetime,
    metrics: ContactsMetrics | None = None,
) -> PurgeReport:
    """Delete every contact of a file, publish their deletion and file.purged, keep a report."""
    count = 0
    # Counted batch by batch: a purge stopped half-way still deleted what it deleted.
    while True:
        async with db.transaction(sessionmaker) as session:
            file = await session.get(ContactFile, file_id)
            assert file is not None
            done = await _purge_batch(session, outbox, file, now)
        count += done
        if metrics is not None:
            metrics.purged_contacts.inc(done)
        if done < BATCH:
            break
    async with db.transaction(sessionmaker) as session:
        file = await session.get(ContactFile, file_id)
        assert file is not None
        campaign = await session.get(Campaign, file.campaign_id)
        file.purged_at = now
        session.add(file)
        at_end = campaign is not None and file.retention_ends_on >= campaign.ends_on
        reason: Literal["campaign_end", "retention_end"] = (
            "campaign_end" if at_end else "retention_end"
        )
        report = PurgeReport(
            campaign_id=file.campaign_id,
            file_id=file.id,
            file_name=file.name,
            purged_count=count,
            reason=reason,
            purged_at=now,
        )
        session.add(report)
        await outbox.add(
            session,
            ev.FilePurged(
                file_id=file.id,
                campaign_id=file.campaign_id,
                purged_count=count,
                reason=reason,
                occurred_at=now,
            ),
            tenant_id=str(file.campaign_id),
            key=str(file.id),
        )
    log.info("file purged", extra={"file_id": str(file_id), "purged_count": count})
    return report


async def expired_files(
    session: AsyncSession, *, now: datetime, campaign_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Return the ids of files whose retention has ended and that are not purged yet."""
    query = sa.select(col(ContactFile.id)).where(
        col(ContactFile.purged_at).is_(None),
        col(ContactFile.retention_ends_on) <= now.date(),
    )
    if campaign_id is not None:
        query = query.where(col(ContactFile.campaign_id) == campaign_id)
    return list(await session.scalars(query.order_by(col(ContactFile.retention_ends_on))))


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    now: datetime,
    campaign_id: uuid.UUID | None = None,
    metrics: ContactsMetrics | None = None,
) -> list[PurgeReport]:
    """Purge every expired file (of one campaign, or all); return the reports written."""
    async with sessionmaker() as session:
        due = await expired_files(session, now=now, campaign_id=campaign_id)
    return [
        await purge_file(sessionmaker, outbox, file_id=f, now=now, metrics=metrics) for f in due
    ]


async def _purge_due(kernel: Kernel) -> None:
    await run(
        kernel.sessionmaker,
        kernel.outbox,
        now=db.utcnow(),
        metrics=contacts_metrics.of(kernel),
    )


def _interval(settings: ServiceSettings) -> float:
    assert isinstance(settings, ContactsSettings)
    return settings.purge_interval_seconds


# Run by one replica at a time: two would purge the same file twice.
hook = service.periodic("retention-purge", every=_interval, job=_purge_due)
