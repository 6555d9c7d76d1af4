"""Canvassing entries: visits, meetings, calls, events; the sensitive-data guard applies (R10)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contacts_svc import repository, sensitive
from contacts_svc.contact_schemas import InteractionIn
from contacts_svc.models import Interaction
from contacts_svc.rules import ContactKind
from isoloir import problems

_CLOCK_SKEW = timedelta(minutes=5)


async def record(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    staff_id: str,
    body: InteractionIn,
    now: datetime,
) -> Interaction:
    """Log one canvassing entry by a member of the team."""
    occurred = body.occurred_at or now
    if occurred.tzinfo is None:
        raise problems.field_error(
            "occurred_at", "give a time zone (e.g. 2026-03-01T18:00:00+01:00)"
        )
    if occurred > now + _CLOCK_SKEW:
        raise problems.field_error("occurred_at", "is in the future")
    notes = " ".join((body.notes or "").split()) or None
    finding = sensitive.find(notes)
    if finding:
        raise problems.ComplianceRefusal(
            f"notes: {finding.reason()}",
            rule="R10",
            errors=[problems.FieldError(field="notes", reason=finding.reason())],
        )
    station = (body.polling_station or "").strip().upper() or None
    if body.contact_id is not None:
        contact = await repository.contact(
            session, campaign_id=campaign_id, contact_id=body.contact_id
        )
        station = station or contact.polling_station
        if notes and contact.kind == ContactKind.OCCASIONAL.value:
            raise problems.ComplianceRefusal(
                "notes about an occasional contact are enrichment, kept for regular contacts only",
                rule="R14",
                errors=[problems.FieldError(field="notes", reason="the contact is occasional")],
            )
    entry = Interaction(
        campaign_id=campaign_id,
        kind=body.kind.value,
        staff_id=staff_id,
        occurred_at=occurred,
        polling_station=station,
        outcome=body.outcome.value,
        contact_id=body.contact_id,
        notes=notes,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry
