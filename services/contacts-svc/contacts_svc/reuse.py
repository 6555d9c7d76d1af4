"""Reusing a primary-election file in the official campaign (R9): only with consent.

The copy keeps the provenance and purpose of the source file, gets the official stage and the
target campaign's retention, and holds only the contacts whose consent projection shows a
granted "official_campaign_reuse"; the rest stay behind. With no such consent at all the reuse
is refused.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import events, fields, files, repository
from contacts_svc.models import ConsentState, Contact, ContactFile
from contacts_svc.rules import REUSE_PURPOSE, ElectionStage, Provenance
from contacts_svc.schemas import FileIn
from isoloir import problems
from isoloir.outbox import Outbox

_COPIED = ("kind", "origin", *fields.FIELDS, *fields.HASHES, "notice_reference")


async def reuse_file(
    session: AsyncSession,
    outbox: Outbox,
    *,
    party_id: uuid.UUID,
    source_file_id: uuid.UUID,
    target_campaign_id: uuid.UUID,
    now: datetime,
) -> tuple[ContactFile, int, int]:
    """Copy the consenting contacts of a primary file into the official campaign."""
    source = await session.get(ContactFile, source_file_id)
    if source is None:
        raise problems.NotFound("no such contact file")
    await repository.party_campaign(session, party_id=party_id, campaign_id=source.campaign_id)
    await repository.party_campaign(session, party_id=party_id, campaign_id=target_campaign_id)
    if source.campaign_id == target_campaign_id:
        raise problems.field_error(
            "target_campaign_id", "the file already belongs to that campaign"
        )
    if source.election_stage != ElectionStage.PRIMARY.value:
        raise problems.field_error(
            "source_file_id", "only a primary-election file is reused this way"
        )
    consenting = (
        sa.select(col(ConsentState.contact_id))
        .where(col(ConsentState.purpose) == REUSE_PURPOSE, col(ConsentState.state) == "granted")
        .scalar_subquery()
    )
    chosen = list(
        await session.scalars(
            sa.select(Contact).where(
                col(Contact.file_id) == source.id,
                col(Contact.campaign_id) == source.campaign_id,
                col(Contact.id).in_(consenting),
            )
        )
    )
    total = await session.scalar(
        sa.select(sa.func.count()).where(col(Contact.file_id) == source.id)
    )
    if not chosen:
        raise problems.ComplianceRefusal(
            "a primary-election file is not reused for the official campaign without consent: "
            f"none of its {total} contacts consented to {REUSE_PURPOSE!r}",
            rule="R9",
            errors=[problems.FieldError(field="source_file_id", reason="no contact consented")],
        )
    target = await files.create(
        session,
        campaign_id=target_campaign_id,
        body=FileIn(
            name=f"{source.name} (official campaign)",
            purpose=source.purpose,
            provenance=Provenance(source.provenance),
            election_stage=ElectionStage.OFFICIAL,
            notice_reference=source.notice_reference,
        ),
        now=now,
        reused_from=source.id,
    )
    copied = 0
    for contact in chosen:
        duplicate = await repository.contact_by_identifiers(
            session,
            campaign_id=target_campaign_id,
            email_hash=contact.email_hash,
            phone_hash=contact.phone_hash,
            person_hash=contact.person_hash,
        )
        if duplicate is not None or await repository.opposed(
            session, [contact.email_hash, contact.phone_hash]
        ):
            continue
        copy = Contact(
            campaign_id=target_campaign_id,
            file_id=target.id,
            created_at=now,
            updated_at=now,
            **{name: getattr(contact, name) for name in _COPIED},
        )
        session.add(copy)
        await session.flush()
        await events.created(session, outbox, copy, now=now)
        copied += 1
    return target, copied, int(total or 0) - len(chosen)
