"""Segments for targeting (managers) and aggregate counts for analytics (never person by person)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import Query
from sqlmodel import col

from contacts_svc import segments
from contacts_svc.api.contacts import contact_out
from contacts_svc.contact_schemas import ContactPage, Counts, SegmentFilters, SegmentIn, SegmentOut
from contacts_svc.deps import CountReaders, Managers
from contacts_svc.models import Segment
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["segments"])
_ERRORS = problems.responses(problems.Forbidden, problems.NotFound, problems.ComplianceRefusal)


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        filters=SegmentFilters.model_validate(segment.filters),
        created_at=segment.created_at,
    )


async def _segment(session: SessionDep, campaign_id: uuid.UUID, segment_id: uuid.UUID) -> Segment:
    found = await session.scalar(
        sa.select(Segment).where(
            col(Segment.id) == segment_id, col(Segment.campaign_id) == campaign_id
        )
    )
    if found is None:
        raise problems.NotFound("no such segment in this campaign")
    return found


@router.post("/segments", status_code=201, responses=_ERRORS)
async def create_segment(
    campaign_id: uuid.UUID, body: SegmentIn, principal: Managers, session: SessionDep
) -> SegmentOut:
    """Save a filter: polling stations, age bands, tags, interactions, files, kinds."""
    segments.check_filters(body.filters)
    segment = Segment(
        campaign_id=campaign_id,
        name=body.name,
        filters=body.filters.model_dump(mode="json", exclude_none=True),
        created_by=principal.subject,
        created_at=db.utcnow(),
    )
    session.add(segment)
    await session.flush()
    return _out(segment)


@router.get("/segments", responses=_ERRORS)
async def list_segments(
    campaign_id: uuid.UUID, principal: Managers, session: SessionDep
) -> list[SegmentOut]:
    """List the campaign's segments."""
    rows = await session.scalars(
        sa.select(Segment)
        .where(col(Segment.campaign_id) == campaign_id)
        .order_by(col(Segment.created_at))
    )
    return [_out(s) for s in rows]


@router.get("/segments/{segment_id}", responses=_ERRORS)
async def read_segment(
    campaign_id: uuid.UUID, segment_id: uuid.UUID, principal: Managers, session: SessionDep
) -> SegmentOut:
    """Read one segment."""
    return _out(await _segment(session, campaign_id, segment_id))


@router.delete("/segments/{segment_id}", status_code=204, responses=_ERRORS)
async def delete_segment(
    campaign_id: uuid.UUID, segment_id: uuid.UUID, principal: Managers, session: SessionDep
) -> None:
    """Delete a segment."""
    await session.delete(await _segment(session, campaign_id, segment_id))


@router.get("/segments/{segment_id}/contacts", responses=_ERRORS)
async def segment_contacts(
    campaign_id: uuid.UUID,
    segment_id: uuid.UUID,
    principal: Managers,
    session: SessionDep,
    after: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ContactPage:
    """Return the contacts the segment matches now, a page at a time (pass `next_after`)."""
    segment = await _segment(session, campaign_id, segment_id)
    rows = await segments.matching_contacts(
        session,
        filters=SegmentFilters.model_validate(segment.filters),
        campaign_id=campaign_id,
        now=db.utcnow(),
        after=after,
        limit=limit,
    )
    return ContactPage(
        items=[contact_out(c) for c in rows], next_after=rows[-1].id if len(rows) == limit else None
    )


Dimension = Literal["polling_station", "age_band", "sex"]


@router.get("/counts", responses=_ERRORS)
async def count_contacts(
    campaign_id: uuid.UUID,
    principal: CountReaders,
    session: SessionDep,
    by: Annotated[list[Dimension] | None, Query()] = None,
) -> Counts:
    """Count contacts by polling station, age band and/or sex; no cell under 10 people."""
    chosen = list(dict.fromkeys(by or ["polling_station"]))
    return await segments.counts(session, campaign_id=campaign_id, by=chosen, now=db.utcnow())
