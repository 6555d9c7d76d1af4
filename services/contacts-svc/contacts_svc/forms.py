"""Form submissions from consent-svc: create the contact, merge it, or say why not."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from contacts_svc import contacts, events, fields, files, projections, repository
from contacts_svc.config import ContactsSettings
from contacts_svc.models import Campaign, Contact
from contacts_svc.rules import ContactKind, Origin, Provenance, check_kind_and_origin
from isoloir import problems
from isoloir.events import consent as consent_ev
from isoloir.events import contacts as ev
from isoloir.outbox import Outbox

Rejection = Literal["opposition_list", "invalid", "sensitive_data", "campaign_closed"]
_IDENTITY = ("first_name", "last_name", "email", "phone", "postal_address")


async def _reject(
    session: AsyncSession,
    outbox: Outbox,
    payload: consent_ev.FormSubmitted,
    *,
    reason: Rejection,
    detail: str,
    now: datetime,
) -> None:
    await outbox.add(
        session,
        ev.ContactRejected(
            campaign_id=payload.campaign_id,
            proposed_id=payload.proposed_contact_id,
            reason=reason,
            detail=detail[:500],
            occurred_at=now,
        ),
        tenant_id=str(payload.campaign_id),
        key=str(payload.proposed_contact_id),
    )


async def _merge(
    session: AsyncSession,
    outbox: Outbox,
    *,
    existing: Contact,
    values: fields.ContactValues,
    kind: ContactKind,
    payload: consent_ev.FormSubmitted,
    now: datetime,
    database_url: str,
) -> None:
    changed = []
    for name in _IDENTITY:
        new = getattr(values, name)
        if new is not None and getattr(existing, name) is None:
            setattr(existing, name, new)
            changed.append(name)
            if name in ("email", "phone"):
                setattr(existing, f"{name}_hash", getattr(values, f"{name}_hash"))
    if kind is ContactKind.REGULAR and existing.kind == ContactKind.OCCASIONAL.value:
        file = await repository.file(
            session, campaign_id=existing.campaign_id, file_id=existing.file_id
        )
        refused = check_kind_and_origin(
            kind=kind,
            origin=Origin(existing.origin),
            provenance=Provenance(file.provenance),
            present=set(),
            has_consent=True,
        )
        if not refused:
            existing.kind = kind.value
            changed.append("kind")
    await projections.record_merge(
        session,
        campaign_id=existing.campaign_id,
        duplicate_id=payload.proposed_contact_id,
        kept_id=existing.id,
        now=now,
        database_url=database_url,
    )
    await outbox.add(
        session,
        ev.ContactMerged(
            campaign_id=existing.campaign_id,
            duplicate_id=payload.proposed_contact_id,
            kept_id=existing.id,
            occurred_at=now,
        ),
        tenant_id=str(existing.campaign_id),
        key=str(existing.id),
    )
    if changed:
        existing.updated_at = now
        session.add(existing)
        await session.flush()
        await events.updated(session, outbox, existing, changed=changed, now=now)


async def on_submission(
    session: AsyncSession,
    outbox: Outbox,
    payload: consent_ev.FormSubmitted,
    *,
    settings: ContactsSettings,
    now: datetime,
) -> str:
    """Apply a form submission; return what was done (created, merged, rejected)."""
    campaign = await session.get(Campaign, payload.campaign_id)
    # Files are deleted on the campaign's end date: from that day on nothing is collected.
    if campaign is None or campaign.ends_on <= now.date():
        await _reject(
            session,
            outbox,
            payload,
            reason="campaign_closed",
            detail="the campaign is over",
            now=now,
        )
        return "rejected"
    raw = {
        "first_name": payload.first_name,
        "last_name": payload.last_name,
        "email": payload.email,
        "phone": payload.phone,
        "postal_address": payload.postal_code,
    }
    values, found = fields.read_values(raw, secret=settings.party_secret, current_year=now.year)
    if not values.email_hash and not values.phone_hash and not found:
        found = [fields.FieldProblem("email", "an email address or a phone number is required")]
    if found:
        reason: Rejection = "sensitive_data" if any(p.rule == "R10" for p in found) else "invalid"
        detail = "; ".join(f"{p.field}: {p.reason}" for p in found)
        await _reject(session, outbox, payload, reason=reason, detail=detail, now=now)
        return "rejected"
    if await repository.opposed(session, [values.email_hash, values.phone_hash]):
        await _reject(
            session,
            outbox,
            payload,
            reason="opposition_list",
            detail="on the opposition list",
            now=now,
        )
        return "rejected"
    kind = ContactKind(payload.contact_kind)
    existing = await repository.contact_by_identifiers(
        session, campaign_id=campaign.id, email_hash=values.email_hash, phone_hash=values.phone_hash
    )
    if existing is not None:
        await _merge(
            session,
            outbox,
            existing=existing,
            values=values,
            kind=kind,
            payload=payload,
            now=now,
            database_url=settings.database_url,
        )
        return "merged"
    if await session.get(Contact, payload.proposed_contact_id) is not None:
        return "created"  # already applied under this id
    file = await files.collection_file(session, campaign=campaign, now=now)
    try:
        await contacts.create(
            session,
            outbox,
            settings=settings,
            campaign_id=campaign.id,
            file_id=file.id,
            kind=kind,
            origin=Origin.FORM,
            raw={k: v for k, v in raw.items() if v},
            now=now,
            contact_id=payload.proposed_contact_id,
        )
    except problems.Problem as exc:
        # Checked before anything is written: the refusal is the answer, not a failure.
        await _reject(session, outbox, payload, reason="invalid", detail=exc.detail or "", now=now)
        return "rejected"
    return "created"
