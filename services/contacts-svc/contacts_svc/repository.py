"""Queries by domain name; every tenant query is filtered by campaign (I4)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc.models import (
    Campaign,
    ConsentState,
    Contact,
    ContactFile,
    OppositionHash,
    Party,
    StaffMember,
    StaffRole,
)
from isoloir import problems


async def party(session: AsyncSession, party_id: uuid.UUID) -> Party | None:
    return await session.get(Party, party_id)


async def campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign:
    """Return the campaign or raise NotFound."""
    found = await session.get(Campaign, campaign_id)
    if found is None:
        raise problems.NotFound("no such campaign")
    return found


async def party_campaign(
    session: AsyncSession, *, party_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """Return a campaign of this party or raise NotFound."""
    found = await session.get(Campaign, campaign_id)
    if found is None or found.party_id != party_id:
        raise problems.NotFound("no such campaign in this party")
    return found


async def file(session: AsyncSession, *, campaign_id: uuid.UUID, file_id: uuid.UUID) -> ContactFile:
    """Return a live contact file of the campaign or raise NotFound."""
    found = await session.scalar(
        sa.select(ContactFile).where(
            col(ContactFile.id) == file_id,
            col(ContactFile.campaign_id) == campaign_id,
        )
    )
    if found is None:
        raise problems.NotFound("no such contact file in this campaign")
    return found


async def contact(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> Contact:
    """Return a contact of the campaign or raise NotFound."""
    found = await session.scalar(
        sa.select(Contact).where(
            col(Contact.id) == contact_id,
            col(Contact.campaign_id) == campaign_id,
        )
    )
    if found is None:
        raise problems.NotFound("no such contact in this campaign")
    return found


async def contact_by_identifiers(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    email_hash: str | None,
    phone_hash: str | None,
    person_hash: str | None = None,
) -> Contact | None:
    """Return the campaign's contact with this email hash, else phone hash, else person hash."""
    keys = (
        (col(Contact.email_hash), email_hash),
        (col(Contact.phone_hash), phone_hash),
        (col(Contact.person_hash), person_hash),
    )
    for column, value in keys:
        if value:
            found = await session.scalar(
                sa.select(Contact).where(
                    col(Contact.campaign_id) == campaign_id,
                    column == value,
                )
            )
            if found is not None:
                return found
    return None


async def opposed(session: AsyncSession, hashes: Sequence[str | None]) -> bool:
    """Tell whether any of these keyed hashes is on the opposition list."""
    wanted = [h for h in hashes if h]
    if not wanted:
        return False
    found = await session.scalar(
        sa.select(sa.func.count()).where(col(OppositionHash.hash).in_(wanted))
    )
    return bool(found)


async def has_granted(
    session: AsyncSession, *, contact_id: uuid.UUID, purpose: str | None = None
) -> bool:
    """Tell whether the consent projection holds a granted state for the contact."""
    query = sa.select(sa.func.count()).where(
        col(ConsentState.contact_id) == contact_id,
        col(ConsentState.state) == "granted",
    )
    if purpose is not None:
        query = query.where(col(ConsentState.purpose) == purpose)
    return bool(await session.scalar(query))


async def staff(session: AsyncSession, *, party_id: uuid.UUID, staff_id: uuid.UUID) -> StaffMember:
    found = await session.get(StaffMember, staff_id)
    if found is None or found.party_id != party_id:
        raise problems.NotFound("no such staff member in this party")
    return found


async def roles_in(
    session: AsyncSession, *, staff_id: uuid.UUID, campaign_id: uuid.UUID
) -> list[str]:
    rows = await session.scalars(
        sa.select(col(StaffRole.role)).where(
            col(StaffRole.staff_id) == staff_id,
            col(StaffRole.campaign_id) == campaign_id,
        )
    )
    return sorted(rows)


async def member(
    session: AsyncSession, *, campaign_id: uuid.UUID, staff_id: uuid.UUID
) -> StaffMember:
    """Return a staff member holding a role in the campaign, or raise NotFound."""
    if not await roles_in(session, staff_id=staff_id, campaign_id=campaign_id):
        raise problems.NotFound("no such member in this campaign")
    found = await session.get(StaffMember, staff_id)
    assert found is not None
    return found
