"""Contact files (R8, R9): declared provenance, purpose and retention end."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import repository
from contacts_svc.models import Campaign, ContactFile
from contacts_svc.rules import (
    FORBIDDEN_PROVENANCES,
    NOTICE_REQUIRED,
    ElectionStage,
    Provenance,
)
from contacts_svc.schemas import FileIn, FileOut, FilePatch
from isoloir import problems


def file_out(file: ContactFile) -> FileOut:
    return FileOut.model_validate(file, from_attributes=True)


def check_provenance(provenance: Provenance, notice_reference: str | None) -> None:
    """Refuse a provenance a campaign may never use (R8), or one that lacks its notice."""
    why = FORBIDDEN_PROVENANCES.get(provenance)
    if why:
        raise problems.ComplianceRefusal(
            f"refused: {why}; a candidate may only use party files, opt-in political "
            "prospecting files or the campaign's own collection",
            rule="R8",
            errors=[problems.FieldError(field="provenance", reason=why)],
        )
    needed = NOTICE_REQUIRED.get(provenance)
    if needed and not (notice_reference or "").strip():
        rule = "R13" if provenance is Provenance.SOCIAL_NETWORK else "R8"
        raise problems.ComplianceRefusal(
            f"a {provenance.value} file needs a notice reference: {needed}",
            rule=rule,
            errors=[problems.FieldError(field="notice_reference", reason=f"required: {needed}")],
        )


def check_retention(retention_ends_on: date, *, campaign: Campaign, today: date) -> None:
    """A file is destroyed by the campaign's end at the latest (R9), and not in the past."""
    if retention_ends_on > campaign.ends_on:
        raise problems.ComplianceRefusal(
            f"a campaign file is destroyed at the end of the campaign ({campaign.ends_on})",
            rule="R9",
            errors=[
                problems.FieldError(
                    field="retention_ends_on", reason=f"must be on or before {campaign.ends_on}"
                )
            ],
        )
    if retention_ends_on < today:
        raise problems.field_error("retention_ends_on", "must not be in the past")


async def create(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    body: FileIn,
    now: datetime,
    reused_from: uuid.UUID | None = None,
) -> ContactFile:
    """Declare a contact file of the campaign."""
    campaign = await repository.campaign(session, campaign_id)
    check_provenance(body.provenance, body.notice_reference)
    retention = body.retention_ends_on or campaign.ends_on
    check_retention(retention, campaign=campaign, today=now.date())
    file = ContactFile(
        campaign_id=campaign_id,
        name=body.name,
        purpose=body.purpose,
        provenance=body.provenance.value,
        election_stage=body.election_stage.value,
        retention_ends_on=retention,
        notice_reference=(body.notice_reference or "").strip() or None,
        reused_from_file_id=reused_from,
        created_at=now,
    )
    session.add(file)
    await session.flush()
    return file


async def update(
    session: AsyncSession, *, file: ContactFile, body: FilePatch, now: datetime
) -> ContactFile:
    """Rename a file, restate its purpose, or move its retention end."""
    if body.retention_ends_on is not None:
        campaign = await repository.campaign(session, file.campaign_id)
        check_retention(body.retention_ends_on, campaign=campaign, today=now.date())
        file.retention_ends_on = body.retention_ends_on
    if body.name is not None:
        file.name = body.name
    if body.purpose is not None:
        file.purpose = body.purpose
    session.add(file)
    return file


async def collection_file(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> ContactFile:
    """Return the campaign's own collection file (forms), creating it on first use."""
    import sqlalchemy as sa

    found = await session.scalar(
        sa.select(ContactFile)
        .where(
            col(ContactFile.campaign_id) == campaign.id,
            col(ContactFile.provenance) == Provenance.CAMPAIGN_COLLECTION.value,
            col(ContactFile.purged_at).is_(None),
        )
        .order_by(col(ContactFile.created_at))
        .limit(1)
    )
    if found is not None:
        return found
    return await create(
        session,
        campaign_id=campaign.id,
        body=FileIn(
            name="Collecte de la campagne",
            purpose="People who gave their details to the campaign (forms, canvassing, events)",
            provenance=Provenance.CAMPAIGN_COLLECTION,
            election_stage=ElectionStage.OFFICIAL,
        ),
        now=now,
    )
