"""Contacts: every write goes through the allow-list and the rules (R2, R8, R10, R13, R14)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contacts_svc import events, fields, repository
from contacts_svc.config import ContactsSettings
from contacts_svc.models import Contact, ContactFile
from contacts_svc.rules import ENRICHMENT_FIELDS, ContactKind, FieldProblem, Origin, Provenance
from contacts_svc.rules import check_kind_and_origin as check_rules
from isoloir import problems
from isoloir.outbox import Outbox

# A compliance rule outranks a plain format error when a write has both.
_RULE_ORDER = ("R10", "R8", "R13", "R14", "R2", "R9")


def raise_for(found: Sequence[FieldProblem]) -> None:
    """Refuse a write: a compliance refusal naming the rule, or a plain 422."""
    if not found:
        return
    errors = [problems.FieldError(field=p.field, reason=p.reason) for p in found]
    detail = "; ".join(f"{p.field}: {p.reason}" for p in found[:5])
    rules = [p.rule for p in found if p.rule]
    if rules:
        rule = min(rules, key=lambda r: _RULE_ORDER.index(r) if r in _RULE_ORDER else 99)
        raise problems.ComplianceRefusal(detail, rule=rule, errors=errors)
    raise problems.Unprocessable(detail, errors=errors)


def check_file_open(file: ContactFile, *, today: date) -> None:
    """Refuse writes into a purged or expired file (R9)."""
    if file.purged_at is not None or file.retention_ends_on <= today:
        raise problems.ComplianceRefusal(
            "this file reached its retention end: its contacts are deleted, none may be added",
            rule="R9",
            errors=[problems.FieldError(field="file_id", reason="the file's retention has ended")],
        )


def read(
    raw: dict[str, Any],
    *,
    settings: ContactsSettings,
    file: ContactFile,
    kind: ContactKind,
    origin: Origin,
    now: datetime,
    has_consent: bool = False,
) -> fields.ContactValues:
    """Normalise and check a contact's values, or refuse them all with every reason."""
    values, found = fields.read_values(raw, secret=settings.party_secret, current_year=now.year)
    present = values.present() | {
        n for n in raw if n in fields.FIELDS and raw[n] not in (None, "", [])
    }
    found += check_rules(
        kind=kind,
        origin=origin,
        provenance=Provenance(file.provenance),
        present=present,
        has_consent=has_consent,
    )
    raise_for(found)
    return values


async def refuse_if_opposed(session: AsyncSession, values: fields.ContactValues) -> None:
    if await repository.opposed(session, [values.email_hash, values.phone_hash]):
        raise problems.Conflict(
            "this person is on the opposition list and is never added again",
            errors=[problems.FieldError(field="email/phone", reason="on the opposition list")],
        )


async def refuse_if_duplicate(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    values: fields.ContactValues,
    own: uuid.UUID | None = None,
) -> None:
    existing = await repository.contact_by_identifiers(
        session,
        campaign_id=campaign_id,
        email_hash=values.email_hash,
        phone_hash=values.phone_hash,
        person_hash=values.person_hash,
    )
    if existing is not None and existing.id != own:
        raise problems.Conflict(
            f"a contact of this campaign already has this email or phone: {existing.id}",
            extra={"existing_id": str(existing.id)},
        )


async def create(
    session: AsyncSession,
    outbox: Outbox,
    *,
    settings: ContactsSettings,
    campaign_id: uuid.UUID,
    file_id: uuid.UUID,
    kind: ContactKind,
    origin: Origin,
    raw: dict[str, Any],
    now: datetime,
    contact_id: uuid.UUID | None = None,
) -> Contact:
    """Create a contact in one of the campaign's files and publish contact.created."""
    file = await repository.file(session, campaign_id=campaign_id, file_id=file_id)
    check_file_open(file, today=now.date())
    values = read(raw, settings=settings, file=file, kind=kind, origin=origin, now=now)
    await refuse_if_opposed(session, values)
    await refuse_if_duplicate(session, campaign_id=campaign_id, values=values)
    contact = Contact(
        id=contact_id or uuid.uuid4(),
        campaign_id=campaign_id,
        file_id=file.id,
        kind=kind.value,
        origin=origin.value,
        notice_reference=file.notice_reference,
        created_at=now,
        updated_at=now,
        **{name: getattr(values, name) for name in (*fields.FIELDS, *fields.HASHES)},
    )
    session.add(contact)
    await session.flush()
    await events.created(session, outbox, contact, now=now)
    return contact


async def update(
    session: AsyncSession,
    outbox: Outbox,
    *,
    settings: ContactsSettings,
    contact: Contact,
    kind: ContactKind | None,
    raw: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Apply a change, checked as a whole against the rules; return the changed fields."""
    file = await repository.file(session, campaign_id=contact.campaign_id, file_id=contact.file_id)
    # The whole contact after the change is checked, not only the fields sent.
    merged = {name: getattr(contact, name) for name in fields.FIELDS}
    merged.update(raw)
    new_kind = kind or ContactKind(contact.kind)
    consented = await repository.has_granted(session, contact_id=contact.id)
    values = read(
        merged,
        settings=settings,
        file=file,
        kind=new_kind,
        origin=Origin(contact.origin),
        now=now,
        has_consent=consented,
    )
    if any(getattr(values, h) != getattr(contact, h) for h in fields.HASHES):
        await refuse_if_opposed(session, values)
        await refuse_if_duplicate(
            session, campaign_id=contact.campaign_id, values=values, own=contact.id
        )
    changed = apply(contact, values, kind=new_kind)
    if changed:
        contact.updated_at = now
        session.add(contact)
        await session.flush()
        await events.updated(session, outbox, contact, changed=changed, now=now)
    return changed


def apply(contact: Contact, values: fields.ContactValues, *, kind: ContactKind) -> list[str]:
    """Copy values onto the contact; return the names of the fields that changed."""
    changed = []
    for name in (*fields.FIELDS, *fields.HASHES):
        new = getattr(values, name)
        if getattr(contact, name) != new:
            setattr(contact, name, new)
            if not name.endswith("_hash"):
                changed.append(name)
    if contact.kind != kind.value:
        contact.kind = kind.value
        changed.append("kind")
    return changed


def strip_enrichment(contact: Contact) -> list[str]:
    """Remove tags, interests, notes and support level (R14); return what was removed."""
    removed = [name for name in ENRICHMENT_FIELDS if getattr(contact, name) not in (None, [])]
    for name in ENRICHMENT_FIELDS:
        setattr(contact, name, None)
    return removed
