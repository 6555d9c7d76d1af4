"""Canvassing entries: volunteers log and read them; the guard applies to their notes."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query
from sqlmodel import col

from contacts_svc import canvassing
from contacts_svc.contact_schemas import InteractionIn, InteractionOut, InteractionPage
from contacts_svc.deps import Canvassers
from contacts_svc.models import Interaction
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}/interactions", tags=["canvassing"])
_ERRORS = problems.responses(problems.Forbidden, problems.NotFound, problems.ComplianceRefusal)


def _out(entry: Interaction) -> InteractionOut:
    return InteractionOut.model_validate(entry, from_attributes=True)


@router.post("", status_code=201, responses=_ERRORS)
async def log_interaction(
    campaign_id: uuid.UUID, body: InteractionIn, principal: Canvassers, session: SessionDep
) -> InteractionOut:
    """Log a door-to-door visit, meeting, call or event attendance."""
    entry = await canvassing.record(
        session, campaign_id=campaign_id, staff_id=principal.subject, body=body, now=db.utcnow()
    )
    return _out(entry)


@router.get("", responses=_ERRORS)
async def list_interactions(
    campaign_id: uuid.UUID,
    principal: Canvassers,
    session: SessionDep,
    contact_id: uuid.UUID | None = None,
    polling_station: str | None = None,
    after: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InteractionPage:
    """List canvassing entries, a page at a time."""
    query = sa.select(Interaction).where(col(Interaction.campaign_id) == campaign_id)
    if contact_id is not None:
        query = query.where(col(Interaction.contact_id) == contact_id)
    if polling_station is not None:
        query = query.where(col(Interaction.polling_station) == polling_station.upper())
    if after is not None:
        query = query.where(col(Interaction.id) > after)
    rows = list(await session.scalars(query.order_by(col(Interaction.id)).limit(limit)))
    return InteractionPage(
        items=[_out(e) for e in rows], next_after=rows[-1].id if len(rows) == limit else None
    )


@router.get("/{interaction_id}", responses=_ERRORS)
async def read_interaction(
    campaign_id: uuid.UUID, interaction_id: uuid.UUID, principal: Canvassers, session: SessionDep
) -> InteractionOut:
    """Read one canvassing entry."""
    entry = await session.scalar(
        sa.select(Interaction).where(
            col(Interaction.id) == interaction_id,
            col(Interaction.campaign_id) == campaign_id,
        )
    )
    if entry is None:
        raise problems.NotFound("no such canvassing entry in this campaign")
    return _out(entry)
