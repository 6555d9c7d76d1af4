"""The ledger: record a change, read states and history, verify the chain."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query
from sqlmodel import col

from consent_svc import consents, repository, verification, views
from consent_svc.deps import (
    EvidenceReader,
    NowDep,
    Recorder,
    SettingsDep,
    StateReader,
    WriterDep,
)
from consent_svc.models import ConsentRequest
from consent_svc.schemas import (
    ConsentRequestCreate,
    ConsentRequestPublic,
    ContactConsents,
    EntriesPage,
    EntryCreate,
    EntryPublic,
    FailurePublic,
    NoticePublic,
    VerifyReport,
)
from isoloir import problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["ledger"])


@router.post(
    "/contacts/{contact_id}/consents",
    status_code=201,
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def record_consent(
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: EntryCreate,
    principal: Recorder,
    session: SessionDep,
    writer: WriterDep,
    now: NowDep,
) -> EntryPublic:
    """Record one consent change (one channel, one purpose) with its evidence."""
    recorded = await consents.record(
        session,
        writer=writer,
        campaign_id=campaign_id,
        contact_id=contact_id,
        body=body,
        collector=principal.subject,
        now=now,
    )
    return views.entry(recorded.entry)


@router.get(
    "/contacts/{contact_id}/consents",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def read_consents(
    campaign_id: uuid.UUID, contact_id: uuid.UUID, principal: StateReader, session: SessionDep
) -> ContactConsents:
    """Return a contact's current state per channel and purpose (merged records included)."""
    contact = await consents.known(session, campaign_id=campaign_id, contact_id=contact_id)
    rows = await repository.current_states(
        session, campaign_id=campaign_id, contact_id=contact.contact_id
    )
    return ContactConsents(
        contact_id=contact.contact_id,
        campaign_id=campaign_id,
        kind=contact.kind,
        states=[views.state(r) for r in rows],
    )


@router.get(
    "/contacts/{contact_id}/consents/history",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def read_history(
    campaign_id: uuid.UUID, contact_id: uuid.UUID, principal: EvidenceReader, session: SessionDep
) -> list[EntryPublic]:
    """Return every ledger entry of a contact (and of records merged into it), with evidence."""
    kept = await repository.resolve_contact(session, campaign_id=campaign_id, contact_id=contact_id)
    ids = await repository.alias_ids(session, campaign_id=campaign_id, contact_id=kept)
    rows = await repository.entries_of(session, campaign_id=campaign_id, contact_ids=ids)
    if not rows:
        raise problems.NotFound("no ledger entry for this contact in this campaign")
    return [views.entry(r) for r in rows]


@router.post(
    "/consent-requests",
    status_code=201,
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def request_consent(
    campaign_id: uuid.UUID,
    body: ConsentRequestCreate,
    principal: Recorder,
    session: SessionDep,
    writer: WriterDep,
    now: NowDep,
    settings: SettingsDep,
) -> ConsentRequestPublic:
    """Ask a contact for consent (an occasional contact only once, R12); answers are pending."""
    req, recorded = await consents.request(
        session,
        writer=writer,
        campaign_id=campaign_id,
        body=body,
        collector=principal.subject,
        now=now,
        default_expiry=timedelta(days=settings.pending_expiry_days),
    )
    return ConsentRequestPublic(
        id=req.id,
        contact_id=req.contact_id,
        requested_at=req.requested_at,
        expires_at=req.expires_at,
        entries=[views.entry(r.entry) for r in recorded],
    )


@router.get(
    "/consent-requests/{request_id}",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def read_request(
    campaign_id: uuid.UUID, request_id: uuid.UUID, principal: StateReader, session: SessionDep
) -> ConsentRequestPublic:
    """Return a consent request and the entries it opened."""
    req = await session.scalar(
        sa.select(ConsentRequest).where(
            col(ConsentRequest.id) == request_id,
            col(ConsentRequest.campaign_id) == campaign_id,
        )
    )
    if req is None:
        raise problems.NotFound("no such consent request in this campaign")
    rows = await repository.entries_of(
        session, campaign_id=campaign_id, contact_ids=[req.contact_id]
    )
    ref = f"request:{req.id}"
    return ConsentRequestPublic(
        id=req.id,
        contact_id=req.contact_id,
        requested_at=req.requested_at,
        expires_at=req.expires_at,
        entries=[views.entry(r) for r in rows if r.source_ref == ref],
    )


@router.get("/ledger/entries", responses=problems.responses(problems.Forbidden))
async def list_entries(
    campaign_id: uuid.UUID,
    principal: EvidenceReader,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EntriesPage:
    """Return the campaign's ledger in chain order, a page at a time."""
    rows = await repository.entries_page(
        session, campaign_id=campaign_id, after_seq=after_seq, limit=limit
    )
    nxt = rows[-1].seq if len(rows) == limit else None
    return EntriesPage(entries=[views.entry(r) for r in rows], next_after_seq=nxt)


@router.get(
    "/ledger/entries/{entry_id}",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def read_entry(
    campaign_id: uuid.UUID, entry_id: uuid.UUID, principal: EvidenceReader, session: SessionDep
) -> EntryPublic:
    """Return one ledger entry with its evidence."""
    row = await repository.entry(session, campaign_id=campaign_id, entry_id=entry_id)
    if row is None:
        raise problems.NotFound("no such ledger entry in this campaign")
    return views.entry(row)


@router.get("/ledger/verify", responses=problems.responses(problems.Forbidden))
async def verify_ledger(
    campaign_id: uuid.UUID, principal: EvidenceReader, session: SessionDep
) -> VerifyReport:
    """Walk the campaign's chain; name the first entry that does not verify, and why."""
    report = await verification.verify(session, campaign_id=campaign_id)
    failure = report.failure
    return VerifyReport(
        campaign_id=campaign_id,
        ok=report.ok,
        entries_checked=report.entries_checked,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        first_failure=FailurePublic(
            entry_id=failure.entry_id, seq=failure.seq, reason=failure.reason
        )
        if failure
        else None,
    )


@router.get(
    "/notices/{sha256}", responses=problems.responses(problems.NotFound, problems.Forbidden)
)
async def read_notice(
    campaign_id: uuid.UUID, sha256: str, principal: StateReader, session: SessionDep
) -> NoticePublic:
    """Return the exact text of a notice shown to people, by its SHA-256."""
    row = await repository.notice(session, campaign_id=campaign_id, sha256=sha256.lower())
    if row is None:
        raise problems.NotFound("no such notice in this campaign")
    return NoticePublic(sha256=row.sha256, text=row.text, created_at=row.created_at)
