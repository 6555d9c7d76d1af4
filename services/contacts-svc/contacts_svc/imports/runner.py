"""Runs imports in the background: a reader thread feeds chunks, the loop writes them.

Reading and validating the next chunk (CPU) overlaps with writing the previous one (the
database), so both cores work. An import interrupted by a stop is resumed at the next start
from its first row: chunks already written are found again and change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col

from contacts_svc import metrics as contacts_metrics
from contacts_svc.config import ContactsSettings
from contacts_svc.imports import merge
from contacts_svc.imports.layout import Layout
from contacts_svc.imports.reader import Chunk, Reader, RowRules
from contacts_svc.models import ContactFile, Import
from contacts_svc.rules import ContactKind, Origin, Provenance
from isoloir import db
from isoloir.service import Kernel

log = logging.getLogger("contacts_svc.imports")
EXTRA_KEY = "imports"


def upload_path(settings: ContactsSettings, import_id: uuid.UUID) -> Path:
    return settings.uploads_path / f"{import_id}.csv"


class ImportRunner:
    """One per running service: starts, tracks and stops import tasks."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        settings = kernel.settings
        assert isinstance(settings, ContactsSettings)
        self.settings = settings
        self.tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def start(self, import_id: uuid.UUID) -> None:
        """Run an import in the background (after its row is committed)."""
        if import_id in self.tasks:
            return
        task = asyncio.create_task(self._run(import_id), name=f"import-{import_id}")
        self.tasks[import_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(import_id, None))

    async def launch(self, import_id: uuid.UUID) -> None:
        """Start an import from a request's background task (on the event loop)."""
        self.start(import_id)

    async def wait(self, import_id: uuid.UUID) -> None:
        task = self.tasks.get(import_id)
        if task is not None:
            await asyncio.shield(task)

    async def stop(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def resume(self) -> None:
        """Start again the imports a previous run of this service left unfinished."""
        async with self.kernel.sessionmaker() as session:
            pending = list(
                await session.scalars(
                    sa.select(col(Import.id)).where(col(Import.status).in_(("queued", "running")))
                )
            )
        for import_id in pending:
            if upload_path(self.settings, import_id).exists():
                self.start(import_id)

    async def _run(self, import_id: uuid.UUID) -> None:
        try:
            with contacts_metrics.of(self.kernel).import_duration.time():
                await run_import(self.kernel, self.settings, import_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The type only: database errors quote the row's values, which are personal data.
            log.error(
                "import failed", extra={"import_id": str(import_id), "error": type(exc).__name__}
            )
            await _finish(self.kernel, import_id, status="failed", failure=type(exc).__name__)
            upload_path(self.settings, import_id).unlink(missing_ok=True)


async def _finish(
    kernel: Kernel, import_id: uuid.UUID, *, status: str, failure: str | None = None
) -> None:
    async with db.transaction(kernel.sessionmaker) as session:
        await session.execute(
            sa.update(Import)
            .where(col(Import.id) == import_id)
            .values(status=status, failure=failure, finished_at=db.utcnow())
        )


async def run_import(kernel: Kernel, settings: ContactsSettings, import_id: uuid.UUID) -> None:
    """Read, validate and write every chunk of an uploaded file; then remove the upload."""
    async with db.transaction(kernel.sessionmaker) as session:
        job = await session.get(Import, import_id)
        assert job is not None
        file = await session.get(ContactFile, job.file_id)
        assert file is not None
        job.status = "running"
        job.started_at = db.utcnow()
        for counter in (
            "rows_read",
            "created",
            "merged",
            "unchanged",
            "duplicates",
            "skipped",
            "errors",
        ):
            setattr(job, counter, 0)  # a resumed import counts again from its first row
        session.add(job)
        layout = Layout(
            encoding=job.encoding,
            delimiter=job.delimiter,
            columns=tuple(job.mapping["columns"]),
            ignored=(),
        )
        target = merge.Target(
            import_id=job.id,
            campaign_id=job.campaign_id,
            file_id=job.file_id,
            kind=job.kind,
            origin=job.origin,
            notice_reference=file.notice_reference,
        )
        rules = RowRules(
            kind=ContactKind(job.kind),
            origin=Origin(job.origin),
            provenance=Provenance(file.provenance),
            secret=settings.party_secret,
            current_year=db.utcnow().year,
        )
        await session.execute(_errors_of(import_id))
    path = upload_path(settings, import_id)
    reader = await asyncio.to_thread(
        Reader, path, layout=layout, rules=rules, chunk_rows=settings.import_chunk_rows
    )
    try:
        async for chunk in _prefetch(reader):
            async with db.transaction(kernel.sessionmaker) as session:
                counts = await merge.write_chunk(
                    session, kernel.outbox, target, chunk, now=db.utcnow()
                )
            _count(kernel, counts, duplicates=chunk.duplicates)
    finally:
        reader.close()
    await _finish(kernel, import_id, status="done")
    path.unlink(missing_ok=True)
    log.info("import done", extra={"import_id": str(import_id)})


def _count(kernel: Kernel, counts: merge.Counts, *, duplicates: int) -> None:
    rows = contacts_metrics.of(kernel).import_rows
    for outcome, n in (
        ("created", counts.created),
        ("merged", counts.merged),
        ("unchanged", counts.unchanged),
        ("duplicate", duplicates),
        ("skipped", counts.skipped),
        ("error", counts.errors),
    ):
        rows.labels(outcome).inc(n)


def _errors_of(import_id: uuid.UUID) -> sa.Delete:
    from contacts_svc.models import ImportRowError

    return sa.delete(ImportRowError).where(col(ImportRowError.import_id) == import_id)


async def _prefetch(reader: Reader) -> AsyncIterator[Chunk]:
    """Yield chunks while the next one is already being read in a worker thread."""
    pending = asyncio.ensure_future(asyncio.to_thread(reader.next_chunk))
    try:
        while True:
            chunk = await pending
            if chunk is None:
                return
            pending = asyncio.ensure_future(asyncio.to_thread(reader.next_chunk))
            yield chunk
    finally:
        if not pending.done():
            with contextlib.suppress(BaseException):
                await pending


@asynccontextmanager
async def hook(kernel: Kernel) -> AsyncIterator[None]:
    """Own the import runner for the service's lifetime; resume unfinished imports."""
    runner = ImportRunner(kernel)
    kernel.extras[EXTRA_KEY] = runner
    await runner.resume()
    try:
        yield
    finally:
        await runner.stop()


def runner_of(kernel: Kernel) -> ImportRunner:
    runner = kernel.extras[EXTRA_KEY]
    assert isinstance(runner, ImportRunner)
    return runner
