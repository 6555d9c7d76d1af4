"""Staff-recorded consent changes and consent requests, with the rules they must obey."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from consent_svc import purposes, repository
from consent_svc.ledger import Change, Evidence, LedgerWriter, Recorded
from consent_svc.models import ConsentRequest, KnownContact
from consent_svc.schemas import ConsentRequestCreate, EntryCreate, NoticeRef
from isoloir import problems
from isoloir.events.consent import CallWindow
from isoloir.problems import FieldError


@dataclass(frozen=True)
class NoticeEvidence:
    sha256: str | None = None
    form_id: uuid.UUID | None = None
    form_version: int | None = None
    language: str | None = None


async def known(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> KnownContact:
    """Return the contact (aliases followed) or refuse: only known contacts get entries."""
    kept = await repository.resolve_contact(session, campaign_id=campaign_id, contact_id=contact_id)
    contact = await repository.known_contact(session, campaign_id=campaign_id, contact_id=kept)
    if contact is None:
        raise problems.NotFound(
            "no such contact in this campaign (a contact created a moment ago may take a "
            "second to reach consent-svc)"
        )
    return contact


async def resolve_notice(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    ref: NoticeRef | None,
    now: datetime,
    field: str = "notice",
) -> NoticeEvidence:
    """Turn a notice reference into stored evidence (the text is stored once, by hash)."""
    if ref is None:
        return NoticeEvidence()
    ways = sum(x is not None for x in (ref.text, ref.sha256, ref.form_id))
    if ways != 1:
        raise problems.field_error(field, "give exactly one of text, sha256 or form_id")
    if ref.text is not None:
        digest = await repository.store_notice(
            session, campaign_id=campaign_id, text=ref.text, now=now
        )
        return NoticeEvidence(sha256=digest, language=ref.language)
    if ref.sha256 is not None:
        if await repository.notice(session, campaign_id=campaign_id, sha256=ref.sha256) is None:
            raise problems.field_error(f"{field}.sha256", "no such notice in this campaign")
        return NoticeEvidence(sha256=ref.sha256, language=ref.language)
    assert ref.form_id is not None
    if ref.form_version is None:
        raise problems.field_error(f"{field}.form_version", "required with form_id")
    form = await repository.form(session, campaign_id=campaign_id, form_id=ref.form_id)
    version = (
        await repository.form_version(session, form_id=ref.form_id, version=ref.form_version)
        if form
        else None
    )
    if version is None:
        raise problems.field_error(f"{field}.form_id", "no such published form version")
    sha = version.notice_en_sha256 if ref.language == "en" else version.notice_fr_sha256
    return NoticeEvidence(
        sha256=sha, form_id=ref.form_id, form_version=ref.form_version, language=ref.language
    )


def check_call_window(*, channel: str, state: str, window: CallWindow | None, field: str) -> None:
    """R16: an automated-call consent names the announced window; other channels have none."""
    if channel == "automated_call" and state in ("granted", "pending") and window is None:
        raise problems.ComplianceRefusal(
            "an automated-call consent must carry the time window announced to the person",
            rule="R16",
            errors=[FieldError(field=field, reason="required for the automated_call channel")],
        )
    if channel != "automated_call" and window is not None:
        raise problems.field_error(field, "only automated_call consents carry a call window")
    if window is not None:
        purposes.validate_call_window(window, field=field)


async def record(
    session: AsyncSession,
    *,
    writer: LedgerWriter,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: EntryCreate,
    collector: str,
    now: datetime,
) -> Recorded:
    """Record one consent change entered by staff, after checking R11, R13 and R16."""
    await purposes.require(session, campaign_id=campaign_id, key=body.purpose, field="purpose")
    contact = await known(session, campaign_id=campaign_id, contact_id=contact_id)
    if body.state == "granted" and body.social_interaction is not None:
        raise problems.ComplianceRefusal(
            f"a social-network interaction ({body.social_interaction}) is not consent",
            rule="R13",
            errors=[
                FieldError(field="social_interaction", reason="a follow or a like is not consent")
            ],
        )
    if body.state == "granted" and body.notice is None:
        raise problems.ComplianceRefusal(
            "a grant must say which information notice the person was shown",
            rule="R11",
            errors=[FieldError(field="notice", reason="required when state is granted")],
        )
    check_call_window(
        channel=body.channel, state=body.state, window=body.call_window, field="call_window"
    )
    occurred = body.occurred_at or now
    if occurred.tzinfo is None:
        raise problems.field_error("occurred_at", "give a timezone (e.g. Z or +01:00)")
    if occurred > now + timedelta(minutes=5):
        raise problems.field_error("occurred_at", "is in the future")
    notice = await resolve_notice(session, campaign_id=campaign_id, ref=body.notice, now=now)
    evidence = Evidence(
        method=body.method,
        collector=collector,
        occurred_at=occurred,
        form_id=notice.form_id,
        form_version=notice.form_version,
        notice_sha256=notice.sha256,
        language=notice.language,
        note=body.note,
        reason=f"social_interaction:{body.social_interaction}" if body.social_interaction else None,
    )
    change = Change(
        contact_id=contact.contact_id,
        channel=body.channel,
        purpose=body.purpose,
        state=body.state,
        evidence=evidence,
        call_window=body.call_window if body.channel == "automated_call" else None,
    )
    return await writer.record(campaign_id=campaign_id, change=change)


async def request(
    session: AsyncSession,
    *,
    writer: LedgerWriter,
    campaign_id: uuid.UUID,
    body: ConsentRequestCreate,
    collector: str,
    now: datetime,
    default_expiry: timedelta,
) -> tuple[ConsentRequest, list[Recorded]]:
    """Ask a contact for consent; R12: an occasional contact is asked only once."""
    pairs = [(a.channel, a.purpose) for a in body.asks]
    if len(set(pairs)) != len(pairs):
        raise problems.field_error("asks", "each (channel, purpose) may be asked only once")
    for i, ask in enumerate(body.asks):
        await purposes.require(
            session, campaign_id=campaign_id, key=ask.purpose, field=f"asks.{i}.purpose"
        )
        check_call_window(
            channel=ask.channel,
            state="pending",
            window=ask.call_window,
            field=f"asks.{i}.call_window",
        )
    contact = await known(session, campaign_id=campaign_id, contact_id=body.contact_id)
    # The chain head's lock also serialises concurrent requests, so two cannot both be first.
    await writer.lock([campaign_id])
    if contact.kind == "occasional":
        ids = await repository.alias_ids(
            session, campaign_id=campaign_id, contact_id=contact.contact_id
        )
        first = await repository.first_request(session, campaign_id=campaign_id, contact_ids=ids)
        if first is not None:
            asked = first.requested_at.isoformat(timespec="seconds")
            raise problems.ComplianceRefusal(
                f"this occasional contact was already asked for consent on {asked}; "
                "an occasional contact is asked only once",
                rule="R12",
                extra={"first_requested_at": first.requested_at.isoformat()},
            )
    notice = await resolve_notice(session, campaign_id=campaign_id, ref=body.notice, now=now)
    expires = now + (
        timedelta(days=body.expires_in_days) if body.expires_in_days else default_expiry
    )
    req = ConsentRequest(
        campaign_id=campaign_id,
        contact_id=contact.contact_id,
        method=body.method,
        collector=collector,
        requested_at=now,
        expires_at=expires,
    )
    session.add(req)
    recorded = []
    for ask in body.asks:
        evidence = Evidence(
            method=body.method,
            collector=collector,
            occurred_at=now,
            form_id=notice.form_id,
            form_version=notice.form_version,
            notice_sha256=notice.sha256,
            language=notice.language,
            source_ref=f"request:{req.id}",
        )
        change = Change(
            contact_id=contact.contact_id,
            channel=ask.channel,
            purpose=ask.purpose,
            state="pending",
            evidence=evidence,
            call_window=ask.call_window,
            expires_at=expires,
        )
        recorded.append(await writer.record(campaign_id=campaign_id, change=change))
    return req, recorded
