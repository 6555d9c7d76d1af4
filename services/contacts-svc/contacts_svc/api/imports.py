"""CSV imports: upload (streamed), progress, and the per-row error report."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import sqlalchemy as sa
from fastapi import BackgroundTasks, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import col

from contacts_svc import contacts, repository, rules
from contacts_svc.contact_schemas import ImportOut
from contacts_svc.deps import Managers, SettingsDep
from contacts_svc.imports import layout, runner, upload
from contacts_svc.models import Import, ImportRowError
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}/imports", tags=["imports"])
_ERRORS = problems.responses(
    problems.Forbidden,
    problems.NotFound,
    problems.ComplianceRefusal,
    problems.PayloadTooLarge,
    problems.UnsupportedMediaType,
)
# The route's own ceiling; the configured `max_upload_bytes` is enforced while streaming.
ROUTE_BODY_LIMIT = 64 * 1024**3
CSV_TYPES = {
    "text/csv",
    "application/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.ms-excel",
}
REPORT_BATCH = 5000


def import_out(job: Import) -> ImportOut:
    return ImportOut(
        id=job.id,
        file_id=job.file_id,
        status=job.status,
        kind=rules.ContactKind(job.kind),
        origin=rules.Origin(job.origin),
        encoding=job.encoding,
        delimiter=job.delimiter,
        columns=job.mapping["columns"],
        ignored_columns=job.ignored_columns,
        size_bytes=job.size_bytes,
        processed_bytes=job.processed_bytes,
        progress=round(job.processed_bytes / job.size_bytes, 4) if job.size_bytes else 0.0,
        rows_read=job.rows_read,
        created=job.created,
        merged=job.merged,
        unchanged=job.unchanged,
        duplicates=job.duplicates,
        skipped=job.skipped,
        errors=job.errors,
        failure=job.failure,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip():
            raise problems.field_error("query.map", f"{pair!r} is not COLUMN=field")
        out[column.strip()] = target.strip()
    return out


@router.post(
    "",
    status_code=202,
    max_body_size=ROUTE_BODY_LIMIT,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def upload_import(
    campaign_id: uuid.UUID,
    request: Request,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    file_id: uuid.UUID,
    kind: rules.ContactKind = rules.ContactKind.OCCASIONAL,
    origin: rules.Origin | None = None,
    map: Annotated[list[str] | None, Query(description="COLUMN=field, repeatable")] = None,
) -> ImportOut:
    """Upload a CSV (UTF-8 or Windows-1252, ';' or ','); it is processed in the background."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise problems.UnsupportedMediaType(
            f"send the file as text/csv, not {media_type or 'none'}"
        )
    given = _mapping(map or [])
    file = await repository.file(session, campaign_id=campaign_id, file_id=file_id)
    now = db.utcnow()
    contacts.check_file_open(file, today=now.date())
    provenance = rules.Provenance(file.provenance)
    origin = origin or rules.default_origin(provenance)
    if origin is None:
        raise problems.field_error(
            "query.origin", f"a {provenance.value} file needs the origin of its rows"
        )
    contacts.raise_for(
        rules.check_kind_and_origin(kind=kind, origin=origin, provenance=provenance, present=set())
    )
    import_id = db.new_id()
    path = runner.upload_path(settings, import_id)
    received = await upload.receive(request.stream(), path=path, limit=settings.max_upload_bytes)
    delimiter = layout.sniff_delimiter(received.header_line)
    header = layout.read_header(received.header_line, delimiter)
    found, refused = layout.map_columns(
        header, mapping=given, encoding=received.encoding, delimiter=delimiter
    )
    if refused:
        await anyio.Path(path).unlink(missing_ok=True)
        contacts.raise_for(refused)
    assert found is not None  # a layout comes back exactly when no column was refused
    job = Import(
        id=import_id,
        campaign_id=campaign_id,
        file_id=file.id,
        created_by=principal.subject,
        status="queued",
        kind=kind.value,
        origin=origin.value,
        encoding=received.encoding,
        delimiter=delimiter,
        mapping={"given": given, "columns": list(found.columns)},
        ignored_columns=list(found.ignored),
        content_sha256=received.sha256,
        size_bytes=received.size,
        created_at=now,
    )
    session.add(job)
    await session.flush()
    # Background tasks run after the response, hence after the commit of this row.
    background.add_task(runner.runner_of(kernel).launch, import_id)
    return import_out(job)


async def _job(session: SessionDep, campaign_id: uuid.UUID, import_id: uuid.UUID) -> Import:
    found = await session.scalar(
        sa.select(Import).where(col(Import.id) == import_id, col(Import.campaign_id) == campaign_id)
    )
    if found is None:
        raise problems.NotFound("no such import in this campaign")
    return found


@router.get("", responses=_ERRORS)
async def list_imports(
    campaign_id: uuid.UUID, principal: Managers, session: SessionDep
) -> list[ImportOut]:
    """List the campaign's imports, newest first."""
    rows = await session.scalars(
        sa.select(Import)
        .where(col(Import.campaign_id) == campaign_id)
        .order_by(col(Import.created_at).desc())
    )
    return [import_out(j) for j in rows]


@router.get("/{import_id}", responses=_ERRORS)
async def read_import(
    campaign_id: uuid.UUID, import_id: uuid.UUID, principal: Managers, session: SessionDep
) -> ImportOut:
    """Read an import's progress and counts."""
    return import_out(await _job(session, campaign_id, import_id))


@router.get(
    "/{import_id}/errors",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "row,field,reason"}},
)
async def download_error_report(
    campaign_id: uuid.UUID,
    import_id: uuid.UUID,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
) -> StreamingResponse:
    """Download the rows refused or skipped, as CSV: row, field, reason."""
    await _job(session, campaign_id, import_id)

    async def lines() -> AsyncIterator[str]:
        yield "row,field,reason\r\n"
        last = 0
        while True:
            async with kernel.sessionmaker() as reading:
                batch = (
                    await reading.execute(
                        sa.select(
                            col(ImportRowError.id),
                            col(ImportRowError.row),
                            col(ImportRowError.field),
                            col(ImportRowError.reason),
                        )
                        .where(
                            col(ImportRowError.import_id) == import_id,
                            col(ImportRowError.id) > last,
                        )
                        .order_by(col(ImportRowError.id))
                        .limit(REPORT_BATCH)
                    )
                ).all()
            if not batch:
                return
            out = io.StringIO()
            writer = csv.writer(out)
            for row in batch:
                writer.writerow((row.row, row.field, row.reason))
            last = batch[-1].id
            yield out.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )
