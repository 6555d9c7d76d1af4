"""Contact files of a campaign, the purge and its reports (R8, R9)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col

from contacts_svc import files, purge, repository
from contacts_svc import metrics as contacts_metrics
from contacts_svc.deps import Managers, RecordReaders
from contacts_svc.models import ContactFile, PurgeReport
from contacts_svc.schemas import FileIn, FileOut, FilePatch, PurgeReportOut
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["files"])
_ERRORS = problems.responses(problems.Forbidden, problems.NotFound, problems.ComplianceRefusal)


@router.post("/files", status_code=201, responses=_ERRORS)
async def create_file(
    campaign_id: uuid.UUID, body: FileIn, principal: Managers, session: SessionDep
) -> FileOut:
    """Declare a contact file: purpose, provenance (R8), retention end (R9)."""
    file = await files.create(session, campaign_id=campaign_id, body=body, now=db.utcnow())
    return files.file_out(file)


@router.get("/files", responses=_ERRORS)
async def list_files(
    campaign_id: uuid.UUID, principal: RecordReaders, session: SessionDep
) -> list[FileOut]:
    """List the campaign's live contact files."""
    rows = await session.scalars(
        sa.select(ContactFile)
        .where(col(ContactFile.campaign_id) == campaign_id, col(ContactFile.purged_at).is_(None))
        .order_by(col(ContactFile.created_at))
    )
    return [files.file_out(f) for f in rows]


@router.get("/files/{file_id}", responses=_ERRORS)
async def read_file(
    campaign_id: uuid.UUID, file_id: uuid.UUID, principal: RecordReaders, session: SessionDep
) -> FileOut:
    """Read one contact file."""
    return files.file_out(await repository.file(session, campaign_id=campaign_id, file_id=file_id))


@router.patch("/files/{file_id}", responses=_ERRORS)
async def update_file(
    campaign_id: uuid.UUID,
    file_id: uuid.UUID,
    body: FilePatch,
    principal: Managers,
    session: SessionDep,
) -> FileOut:
    """Rename a file, restate its purpose or move its retention end (never past the campaign)."""
    file = await repository.file(session, campaign_id=campaign_id, file_id=file_id)
    return files.file_out(await files.update(session, file=file, body=body, now=db.utcnow()))


@router.post("/purges", responses=_ERRORS)
async def run_purge(
    campaign_id: uuid.UUID, principal: Managers, kernel: service.KernelDep
) -> list[PurgeReportOut]:
    """Purge the campaign's expired files now (the background job does it on its interval)."""
    reports = await purge.run(
        kernel.sessionmaker,
        kernel.outbox,
        now=db.utcnow(),
        campaign_id=campaign_id,
        metrics=contacts_metrics.of(kernel),
    )
    return [PurgeReportOut.model_validate(r, from_attributes=True) for r in reports]


@router.get("/purge-reports", responses=_ERRORS)
async def list_purge_reports(
    campaign_id: uuid.UUID, principal: RecordReaders, session: SessionDep
) -> list[PurgeReportOut]:
    """List what the purge deleted: file, count, when."""
    rows = await session.scalars(
        sa.select(PurgeReport)
        .where(col(PurgeReport.campaign_id) == campaign_id)
        .order_by(col(PurgeReport.purged_at).desc())
    )
    return [PurgeReportOut.model_validate(r, from_attributes=True) for r in rows]
