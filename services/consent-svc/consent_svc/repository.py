"""Queries of consent-svc, by domain name; every one of them filters by campaign."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc.models import (
    Alias,
    ConsentRequest,
    Current,
    Entry,
    Form,
    FormVersion,
    KnownContact,
    Notice,
    Purpose,
)

MAX_ALIAS_DEPTH = 16


def insert(session: AsyncSession, table: Any) -> Any:
    """Return the dialect's INSERT (for ON CONFLICT clauses) on this session's database."""
    dialect: Any = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


def is_postgres(session: AsyncSession) -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


async def resolve_contact(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> uuid.UUID:
    """Follow merge aliases to the contact kept in the directory."""
    current = contact_id
    for _ in range(MAX_ALIAS_DEPTH):
        kept = await session.scalar(
            sa.select(col(Alias.kept_id)).where(
                col(Alias.duplicate_id) == current,
                col(Alias.campaign_id) == campaign_id,
            )
        )
        if kept is None:
            return current
        current = kept
    return current


async def alias_ids(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> set[uuid.UUID]:
    """Return a kept contact's id with every duplicate merged into it."""
    found = {contact_id}
    frontier = [contact_id]
    while frontier:
        rows = await session.scalars(
            sa.select(col(Alias.duplicate_id)).where(
                col(Alias.kept_id).in_(frontier),
                col(Alias.campaign_id) == campaign_id,
            )
        )
        frontier = [d for d in rows if d not in found]
        found.update(frontier)
    return found


async def known_contact(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> KnownContact | None:
    """Return what is known of a contact of this campaign."""
    return await session.scalar(
        sa.select(KnownContact).where(
            col(KnownContact.contact_id) == contact_id,
            col(KnownContact.campaign_id) == campaign_id,
        )
    )


async def contacts_by_hashes(
    session: AsyncSession,
    *,
    email_hash: str | None,
    phone_hash: str | None,
    campaign_ids: Sequence[uuid.UUID] | None = None,
) -> list[KnownContact]:
    """Return known contacts matching either hash (in these campaigns, or in all)."""
    clauses = []
    if email_hash:
        clauses.append(col(KnownContact.email_hash) == email_hash)
    if phone_hash:
        clauses.append(col(KnownContact.phone_hash) == phone_hash)
    if not clauses:
        return []
    query = sa.select(KnownContact).where(sa.or_(*clauses))
    if campaign_ids is not None:
        query = query.where(col(KnownContact.campaign_id).in_(campaign_ids))
    return list(await session.scalars(query))


async def current_states(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> list[Current]:
    """Return a contact's latest state per channel and purpose."""
    rows = await session.scalars(
        sa.select(Current)
        .where(
            col(Current.campaign_id) == campaign_id,
            col(Current.contact_id) == contact_id,
        )
        .order_by(col(Current.channel), col(Current.purpose))
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def current_state(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel: str,
    purpose: str,
) -> Current | None:
    """Return the latest state of one (contact, channel, purpose)."""
    return await session.get(
        Current, (campaign_id, contact_id, channel, purpose), populate_existing=True
    )


async def entries_of(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_ids: Iterable[uuid.UUID]
) -> list[Entry]:
    """Return every ledger entry of these contact ids in one campaign, in chain order."""
    rows = await session.scalars(
        sa.select(Entry)
        .where(
            col(Entry.campaign_id) == campaign_id,
            col(Entry.contact_id).in_(list(contact_ids)),
        )
        .order_by(col(Entry.seq))
    )
    return list(rows)


async def entry(
    session: AsyncSession, *, campaign_id: uuid.UUID, entry_id: uuid.UUID
) -> Entry | None:
    """Return one ledger entry of the campaign."""
    return await session.scalar(
        sa.select(Entry).where(
            col(Entry.id) == entry_id,
            col(Entry.campaign_id) == campaign_id,
        )
    )


async def entries_page(
    session: AsyncSession, *, campaign_id: uuid.UUID, after_seq: int, limit: int
) -> list[Entry]:
    """Return a page of the campaign's ledger in chain order."""
    rows = await session.scalars(
        sa.select(Entry)
        .where(
            col(Entry.campaign_id) == campaign_id,
            col(Entry.seq) > after_seq,
        )
        .order_by(col(Entry.seq))
        .limit(limit)
    )
    return list(rows)


async def first_request(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_ids: Iterable[uuid.UUID]
) -> ConsentRequest | None:
    """Return the first consent request made to this person in the campaign, if any."""
    return await session.scalar(
        sa.select(ConsentRequest)
        .where(
            col(ConsentRequest.campaign_id) == campaign_id,
            col(ConsentRequest.contact_id).in_(list(contact_ids)),
        )
        .order_by(col(ConsentRequest.requested_at))
        .limit(1)
    )


async def purposes(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[Purpose]:
    """Return the campaign's own purposes."""
    rows = await session.scalars(
        sa.select(Purpose).where(col(Purpose.campaign_id) == campaign_id).order_by(col(Purpose.key))
    )
    return list(rows)


async def purpose(session: AsyncSession, *, campaign_id: uuid.UUID, key: str) -> Purpose | None:
    """Return one purpose of the campaign by key."""
    return await session.scalar(
        sa.select(Purpose).where(
            col(Purpose.campaign_id) == campaign_id,
            col(Purpose.key) == key,
        )
    )


async def form(session: AsyncSession, *, campaign_id: uuid.UUID, form_id: uuid.UUID) -> Form | None:
    """Return one form of the campaign."""
    return await session.scalar(
        sa.select(Form).where(
            col(Form.id) == form_id,
            col(Form.campaign_id) == campaign_id,
        )
    )


async def forms(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[Form]:
    """Return the campaign's forms, newest first."""
    rows = await session.scalars(
        sa.select(Form)
        .where(col(Form.campaign_id) == campaign_id)
        .order_by(col(Form.created_at).desc())
    )
    return list(rows)


async def form_version(
    session: AsyncSession, *, form_id: uuid.UUID, version: int
) -> FormVersion | None:
    """Return one published version of a form."""
    return await session.get(FormVersion, (form_id, version))


async def published_versions(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[FormVersion]:
    """Return the current published version of each open form of the campaign."""
    rows = await session.scalars(
        sa.select(FormVersion)
        .join(
            Form,
            sa.and_(
                col(Form.id) == col(FormVersion.form_id),
                col(Form.current_version) == col(FormVersion.version),
            ),
        )
        .where(
            col(Form.campaign_id) == campaign_id,
            col(Form.closed).is_(False),
        )
        .order_by(col(FormVersion.published_at).desc())
    )
    return list(rows)


def text_sha256(text: str) -> str:
    """Return the SHA-256 of a notice text as stored (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


async def store_notice(
    session: AsyncSession, *, campaign_id: uuid.UUID, text: str, now: datetime
) -> str:
    """Store a notice text once per campaign and return its SHA-256."""
    digest = text_sha256(text)
    stmt = (
        insert(session, Notice)
        .values(campaign_id=campaign_id, sha256=digest, text=text, created_at=now)
        .on_conflict_do_nothing(index_elements=["campaign_id", "sha256"])
    )
    await session.execute(stmt)
    return digest


async def notice(session: AsyncSession, *, campaign_id: uuid.UUID, sha256: str) -> Notice | None:
    """Return a stored notice of the campaign."""
    return await session.get(Notice, (campaign_id, sha256))
