"""Contacts of a campaign: managers write, the team reads what canvassing needs."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query
from sqlmodel import col

from contacts_svc import contacts, erasure, repository
from contacts_svc.contact_schemas import ContactIn, ContactOut, ContactPage, ContactPatch
from contacts_svc.deps import ContactReaders, Managers, SettingsDep
from contacts_svc.models import Contact
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}/contacts", tags=["contacts"])
_ERRORS = problems.responses(
    problems.Forbidden, problems.NotFound, problems.Conflict, problems.ComplianceRefusal
)


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)


@router.post("", status_code=201, responses=_ERRORS)
async def create_contact(
    campaign_id: uuid.UUID,
    body: ContactIn,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> ContactOut:
    """Add a contact to one of the campaign's files; its origin is mandatory (R2)."""
    contact = await contacts.create(
        session,
        kernel.outbox,
        settings=settings,
        campaign_id=campaign_id,
        file_id=body.file_id,
        kind=body.kind,
        origin=body.origin,
        raw=body.raw(),
        now=db.utcnow(),
    )
    return contact_out(contact)


@router.get("", responses=_ERRORS)
async def list_contacts(
    campaign_id: uuid.UUID,
    principal: ContactReaders,
    session: SessionDep,
    file_id: uuid.UUID | None = None,
    polling_station: str | None = None,
    after: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ContactPage:
    """List contacts, a page at a time (keyset on id: pass `next_after` as `after`)."""
    query = sa.select(Contact).where(col(Contact.campaign_id) == campaign_id)
    if file_id is not None:
        query = query.where(col(Contact.file_id) == file_id)
    if polling_station is not None:
        query = query.where(col(Contact.polling_station) == polling_station.upper())
    if after is not None:
        query = query.where(col(Contact.id) > after)
    rows = list(await session.scalars(query.order_by(col(Contact.id)).limit(limit)))
    return ContactPage(
        items=[contact_out(c) for c in rows],
        next_after=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/{contact_id}", responses=_ERRORS)
async def read_contact(
    campaign_id: uuid.UUID, contact_id: uuid.UUID, principal: ContactReaders, session: SessionDep
) -> ContactOut:
    """Read one contact."""
    return contact_out(
        await repository.contact(session, campaign_id=campaign_id, contact_id=contact_id)
    )


@router.patch("/{contact_id}", responses=_ERRORS)
async def update_contact(
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: ContactPatch,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> ContactOut:
    """Change a contact; the whole result is checked against the rules."""
    contact = await repository.contact(session, campaign_id=campaign_id, contact_id=contact_id)
    await contacts.update(
        session,
        kernel.outbox,
        settings=settings,
        contact=contact,
        kind=body.kind,
        raw=body.raw(),
        now=db.utcnow(),
    )
    return contact_out(contact)


@router.delete("/{contact_id}", status_code=204, responses=_ERRORS)
async def delete_contact(
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
) -> None:
    """Delete a contact and everything held about it; every service forgets it too."""
    contact = await repository.contact(session, campaign_id=campaign_id, contact_id=contact_id)
    await erasure.forget(session, kernel.outbox, contact, reason="staff", now=db.utcnow())
