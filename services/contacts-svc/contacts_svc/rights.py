"""Data-subject requests from rights-svc (R5): export with origin, rectify, erase; then answer.

The person is matched by the contact ids and keyed hashes the request carries, within its
campaign or, when it names none, in every campaign of the party.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import contacts, erasure, fields
from contacts_svc.config import ContactsSettings
from contacts_svc.models import Campaign, Contact, ContactFile, Import, ImportRowError, Interaction
from isoloir import problems
from isoloir.events import rights as ev
from isoloir.outbox import Outbox

Outcome = Literal["done", "nothing_held", "refused"]
_EXPORTED = ("kind", "origin", *fields.FIELDS)


async def _campaign_ids(
    session: AsyncSession, request: ev.RightsRequestOpened, tenant: str | None
) -> list[uuid.UUID] | None:
    if request.campaign_id is not None:
        return [request.campaign_id]
    try:
        party_id = uuid.UUID(tenant) if tenant else None
    except ValueError:
        party_id = None
    if party_id is None:
        return None  # one party per platform: every campaign held here
    rows = await session.scalars(
        sa.select(col(Campaign.id)).where(col(Campaign.party_id) == party_id)
    )
    return list(rows)


async def matching(
    session: AsyncSession, request: ev.RightsRequestOpened, *, tenant: str | None
) -> list[Contact]:
    """Return the contacts this request is about."""
    conditions: list[sa.ColumnElement[bool]] = []
    if request.contact_ids:
        conditions.append(col(Contact.id).in_(request.contact_ids))
    if request.email_hash:
        conditions.append(col(Contact.email_hash) == request.email_hash)
    if request.phone_hash:
        conditions.append(col(Contact.phone_hash) == request.phone_hash)
    if not conditions:
        return []
    query = sa.select(Contact).where(sa.or_(*conditions))
    campaign_ids = await _campaign_ids(session, request, tenant)
    if campaign_ids is not None:
        query = query.where(col(Contact.campaign_id).in_(campaign_ids))
    return list(await session.scalars(query.order_by(col(Contact.created_at))))


async def export(session: AsyncSession, found: list[Contact]) -> dict[str, Any]:
    """Return everything held about these contacts, with where it came from (R2, R5)."""
    out = []
    for contact in found:
        file = await session.get(ContactFile, contact.file_id)
        entries = await session.scalars(
            sa.select(Interaction)
            .where(col(Interaction.contact_id) == contact.id)
            .order_by(col(Interaction.occurred_at))
        )
        record: dict[str, Any] = {name: getattr(contact, name) for name in _EXPORTED}
        record.update(
            contact_id=str(contact.id),
            campaign_id=str(contact.campaign_id),
            created_at=contact.created_at.isoformat(),
            updated_at=contact.updated_at.isoformat(),
            file={
                "name": file.name if file else None,
                "purpose": file.purpose if file else None,
                "provenance": file.provenance if file else None,
                "retention_ends_on": file.retention_ends_on.isoformat() if file else None,
            },
            canvassing=[
                {
                    "kind": e.kind,
                    "occurred_at": e.occurred_at.isoformat(),
                    "polling_station": e.polling_station,
                    "outcome": e.outcome,
                    "notes": e.notes,
                }
                for e in entries
            ],
        )
        out.append(record)
    return {"service": "contacts", "contacts": out}


async def _forget_report_lines(
    session: AsyncSession, request: ev.RightsRequestOpened, campaign_ids: list[uuid.UUID] | None
) -> int:
    hashes = [h for h in (request.email_hash, request.phone_hash) if h]
    if not hashes:
        return 0
    query = sa.delete(ImportRowError).where(
        sa.or_(
            col(ImportRowError.email_hash).in_(hashes), col(ImportRowError.phone_hash).in_(hashes)
        )
    )
    if campaign_ids is not None:
        query = query.where(
            col(ImportRowError.import_id).in_(
                sa.select(col(Import.id)).where(col(Import.campaign_id).in_(campaign_ids))
            )
        )
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def answer(
    session: AsyncSession,
    outbox: Outbox,
    request: ev.RightsRequestOpened,
    *,
    tenant: str | None,
    settings: ContactsSettings,
    now: datetime,
) -> Outcome:
    """Carry out the request and publish this service's acknowledgement."""
    found = await matching(session, request, tenant=tenant)
    outcome: Outcome = "done" if found else "nothing_held"
    detail: str | None = None
    payload: dict[str, Any] | None = None
    if request.kind in ("access", "portability"):
        payload = await export(session, found)
    elif request.kind == "rectification":
        try:
            for contact in found:
                await contacts.update(
                    session,
                    outbox,
                    settings=settings,
                    contact=contact,
                    kind=None,
                    raw=dict(request.rectification or {}),
                    now=now,
                )
        except problems.Problem as exc:
            outcome, detail = "refused", exc.detail
    else:
        reason: Literal["erasure", "objection"] = (
            "erasure" if request.kind == "erasure" else "objection"
        )
        for contact in found:
            await erasure.forget(session, outbox, contact, reason=reason, now=now)
        lines = await _forget_report_lines(
            session, request, await _campaign_ids(session, request, tenant)
        )
        if lines and outcome == "nothing_held":
            outcome = "done"
    await outbox.add(
        session,
        ev.RightsRequestAcknowledged(
            request_id=request.request_id,
            service="contacts",
            outcome=outcome,
            detail=detail,
            export=payload,
            occurred_at=now,
        ),
        tenant_id=tenant,
        key=str(request.request_id),
    )
    return outcome
