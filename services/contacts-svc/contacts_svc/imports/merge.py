"""Write one chunk: stage it (COPY on PostgreSQL), skip opposed people, insert, merge the rest.

Everything of a chunk happens in one transaction: the contacts, their events in the outbox,
the error lines and the counters, so an interrupted import never leaves half a chunk behind,
and running the same file again finds every row already there.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import bulk, events, fields
from contacts_svc.imports import created as created_events
from contacts_svc.imports.reader import Chunk
from contacts_svc.models import (
    Contact,
    Import,
    ImportRowError,
    OppositionHash,
    import_staging,
    table,
)
from contacts_svc.rules import ENRICHMENT_FIELDS
from isoloir import db
from isoloir.outbox import Outbox

STAGE_COLUMNS = ("import_id", "row_no", "new_id", *fields.FIELDS, *fields.HASHES)
ERROR_COLUMNS = ("import_id", "row", "field", "reason", "email_hash", "phone_hash")
_IDENTIFIERS = {"email": "email_hash", "phone": "phone_hash"}
OPPOSED = "on the opposition list: skipped"


@dataclass
class Target:
    """The import being run: where its contacts go and what they are."""

    import_id: uuid.UUID
    campaign_id: uuid.UUID
    file_id: uuid.UUID
    kind: str
    origin: str
    notice_reference: str | None


@dataclass
class Counts:
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0


def _stage_record(
    target: Target, new_id: uuid.UUID, row_no: int, values: fields.ContactValues, pg: bool
) -> tuple[Any, ...]:
    out: list[Any] = [target.import_id, row_no, new_id]
    for name in (*fields.FIELDS, *fields.HASHES):
        value = getattr(values, name)
        if pg and isinstance(value, list):
            value = json.dumps(value, ensure_ascii=False)
        out.append(value)
    return tuple(out)


async def _stage(session: AsyncSession, target: Target, chunk: Chunk, pg: bool) -> None:
    records = [_stage_record(target, i, r, v, pg) for i, (r, v) in chunk.rows.items()]
    if pg:
        # A temporary table of the same name shadows the shared one for this connection and
        # is emptied at commit: no dead rows pile up chunk after chunk, and concurrent
        # imports never see each other's rows. SQLite uses the shared table.
        await session.execute(
            sa.text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS import_staging "
                "(LIKE import_staging INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
        )
        await bulk.copy_rows(
            session, table=import_staging.name, columns=STAGE_COLUMNS, records=records
        )
    elif records:
        await session.execute(
            sa.insert(import_staging), [dict(zip(STAGE_COLUMNS, r, strict=True)) for r in records]
        )


async def _match(session: AsyncSession, target: Target, created: list[uuid.UUID]) -> None:
    s = import_staging.c
    if created:
        await session.execute(
            sa.delete(import_staging).where(s.import_id == target.import_id, s.new_id.in_(created))
        )
    for key in fields.HASHES:
        await session.execute(
            sa.update(import_staging)
            .where(
                s.import_id == target.import_id,
                s.match_id.is_(None),
                col(Contact.campaign_id) == target.campaign_id,
                getattr(Contact, key) == s[key],
            )
            .values(match_id=col(Contact.id))
        )


async def _skip_opposed(
    session: AsyncSession, target: Target
) -> list[tuple[int, str | None, str | None]]:
    s = import_staging.c
    opposed = sa.select(col(OppositionHash.hash))
    mine = sa.and_(
        s.import_id == target.import_id,
        sa.or_(s.email_hash.in_(opposed), s.phone_hash.in_(opposed)),
    )
    rows = (
        await session.execute(sa.select(s.row_no, s.email_hash, s.phone_hash).where(mine))
    ).all()
    if rows:
        await session.execute(sa.delete(import_staging).where(mine))
    return [(r.row_no, r.email_hash, r.phone_hash) for r in rows]


async def _insert(
    session: AsyncSession, target: Target, now: datetime, pg: bool
) -> list[uuid.UUID]:
    s = import_staging.c
    copied = [*fields.FIELDS, *fields.HASHES]
    source = sa.select(
        s.new_id,
        sa.literal(target.campaign_id, sa.Uuid()),
        sa.literal(target.file_id, sa.Uuid()),
        sa.literal(target.kind),
        sa.literal(target.origin),
        sa.literal(target.notice_reference, sa.String()),
        sa.literal(now, db.UTCDateTime()),
        sa.literal(now, db.UTCDateTime()),
        *(s[c] for c in copied),
    ).where(s.import_id == target.import_id)
    columns = [
        "id",
        "campaign_id",
        "file_id",
        "kind",
        "origin",
        "notice_reference",
        "created_at",
        "updated_at",
        *copied,
    ]
    dialect: Any = postgresql if pg else sqlite
    contacts_t = table(Contact)
    stmt = dialect.insert(contacts_t).from_select(columns, source).on_conflict_do_nothing()
    return list(await session.scalars(stmt.returning(contacts_t.c.id)))


async def _merge(
    session: AsyncSession, target: Target, now: datetime
) -> tuple[dict[uuid.UUID, set[str]], int]:
    """Fill what matched contacts lack; return the changed fields per contact and the rest."""
    s, c = import_staging.c, table(Contact).c
    other = table(Contact).alias("other")

    def fills(name: str) -> Any:
        condition = sa.and_(c[name].is_(None), s[name].isnot(None))
        if name in ENRICHMENT_FIELDS:
            condition = sa.and_(condition, c.kind == "regular")
        if name in _IDENTIFIERS:
            key = _IDENTIFIERS[name]
            taken = sa.exists().where(
                other.c.campaign_id == target.campaign_id, other.c[key] == s[key]
            )
            condition = sa.and_(condition, ~taken)
        return condition

    names = list(fields.FIELDS)
    rows = (
        await session.execute(
            sa.select(c.id, *(fills(n).label(n) for n in names)).where(
                s.import_id == target.import_id, s.match_id == c.id
            )
        )
    ).all()
    changed: dict[uuid.UUID, set[str]] = {}
    unchanged = 0
    for row in rows:
        filled = {n for n in names if getattr(row, n)}
        if filled:
            changed.setdefault(row.id, set()).update(filled)
        else:
            unchanged += 1
    if changed:
        updates: dict[str, Any] = {n: sa.case((fills(n), s[n]), else_=c[n]) for n in names}
        for name, key in _IDENTIFIERS.items():
            updates[key] = sa.case((fills(name), s[key]), else_=c[key])
        updates["updated_at"] = now
        await session.execute(
            sa.update(table(Contact))
            .where(s.import_id == target.import_id, s.match_id == c.id, c.id.in_(list(changed)))
            .values(updates)
        )
    return changed, unchanged


async def write_chunk(
    session: AsyncSession, outbox: Outbox, target: Target, chunk: Chunk, *, now: datetime
) -> Counts:
    """Apply one chunk in the session's transaction and return what it did."""
    pg = (await session.connection()).dialect.name == "postgresql"
    counts = Counts(errors=len({e[0] for e in chunk.errors}))
    errors = list(chunk.errors)
    await _stage(session, target, chunk, pg)
    for row_no, email_hash, phone_hash in await _skip_opposed(session, target):
        errors.append((row_no, "email/phone", OPPOSED, email_hash, phone_hash))
        counts.skipped += 1
    # Insert first: the unique indexes turn away every row of a person already held, and
    # only those few are then matched, rather than probing the indexes for every row twice.
    created = await _insert(session, target, now, pg)
    changed: dict[uuid.UUID, set[str]] = {}
    if len(created) < len(chunk.rows) - counts.skipped:
        await _match(session, target, created)
        changed, counts.unchanged = await _merge(session, target, now)
    counts.created, counts.merged = len(created), len(changed)
    records = created_events.outbox_rows(
        outbox,
        campaign_id=target.campaign_id,
        file_id=target.file_id,
        kind=target.kind,
        origin=target.origin,
        contacts=[(i, chunk.rows[i][1]) for i in created],
        now=now,
    )
    await bulk.add_records(session, outbox, records)
    if changed:
        merged = await session.scalars(sa.select(Contact).where(col(Contact.id).in_(list(changed))))
        for contact in merged:
            await events.updated(
                session, outbox, contact, changed=sorted(changed[contact.id]), now=now
            )
    await session.execute(
        sa.delete(import_staging).where(import_staging.c.import_id == target.import_id)
    )
    if errors:
        records = [
            (target.import_id, r, f[:100], reason[:300], e, p) for r, f, reason, e, p in errors
        ]
        if pg:
            await bulk.copy_rows(
                session, table=ImportRowError.__tablename__, columns=ERROR_COLUMNS, records=records
            )
        else:
            await session.execute(
                sa.insert(ImportRowError),
                [dict(zip(ERROR_COLUMNS, r, strict=True)) for r in records],
            )
    await session.execute(
        sa.update(Import)
        .where(col(Import.id) == target.import_id)
        .values(
            rows_read=col(Import.rows_read) + chunk.rows_read,
            created=col(Import.created) + counts.created,
            merged=col(Import.merged) + counts.merged,
            unchanged=col(Import.unchanged) + counts.unchanged,
            duplicates=col(Import.duplicates) + chunk.duplicates,
            skipped=col(Import.skipped) + counts.skipped,
            errors=col(Import.errors) + counts.errors,
            processed_bytes=chunk.position,
        )
    )
    return counts
