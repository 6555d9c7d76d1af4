"""Purposes a campaign asks consent for (the reserved reuse purpose always exists)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from consent_svc import purposes, repository
from consent_svc.deps import Manager, NowDep, StateReader
from consent_svc.models import Purpose
from consent_svc.schemas import PURPOSE_KEY, Strict
from isoloir import problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["purposes"])


class PurposeCreate(Strict):
    key: str = Field(pattern=PURPOSE_KEY, description="Lower-case identifier, e.g. newsletter.")
    label_fr: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    description_fr: str = Field(min_length=1, max_length=2000)
    description_en: str = Field(min_length=1, max_length=2000)


class PurposeUpdate(Strict):
    label_fr: str | None = Field(default=None, min_length=1, max_length=200)
    label_en: str | None = Field(default=None, min_length=1, max_length=200)
    description_fr: str | None = Field(default=None, min_length=1, max_length=2000)
    description_en: str | None = Field(default=None, min_length=1, max_length=2000)


class PurposePublic(BaseModel):
    key: str
    label_fr: str
    label_en: str
    description_fr: str
    description_en: str
    built_in: bool


def _public(view: purposes.PurposeView) -> PurposePublic:
    return PurposePublic(**view.__dict__)


@router.post(
    "/purposes",
    status_code=201,
    responses=problems.responses(problems.Conflict, problems.Forbidden),
)
async def create_purpose(
    campaign_id: uuid.UUID,
    body: PurposeCreate,
    principal: Manager,
    session: SessionDep,
    now: NowDep,
) -> PurposePublic:
    """Define a purpose of the campaign."""
    if body.key == purposes.REUSE_KEY:
        raise problems.Conflict(f"'{purposes.REUSE_KEY}' is reserved and always defined")
    if await repository.purpose(session, campaign_id=campaign_id, key=body.key):
        raise problems.Conflict(f"the purpose '{body.key}' already exists in this campaign")
    row = Purpose(campaign_id=campaign_id, created_at=now, **body.model_dump())
    session.add(row)
    return _public(purposes.view(row))


@router.get("/purposes", responses=problems.responses(problems.Forbidden))
async def list_purposes(
    campaign_id: uuid.UUID, principal: StateReader, session: SessionDep
) -> list[PurposePublic]:
    """Return the campaign's purposes, the reserved one included."""
    return [_public(v) for v in await purposes.all_of(session, campaign_id=campaign_id)]


@router.get("/purposes/{key}", responses=problems.responses(problems.NotFound, problems.Forbidden))
async def read_purpose(
    campaign_id: uuid.UUID, key: str, principal: StateReader, session: SessionDep
) -> PurposePublic:
    """Return one purpose."""
    found = await purposes.find(session, campaign_id=campaign_id, key=key)
    if found is None:
        raise problems.NotFound("no such purpose in this campaign")
    return _public(found)


@router.patch(
    "/purposes/{key}",
    responses=problems.responses(problems.NotFound, problems.Conflict, problems.Forbidden),
)
async def update_purpose(
    campaign_id: uuid.UUID, key: str, body: PurposeUpdate, principal: Manager, session: SessionDep
) -> PurposePublic:
    """Change a purpose's labels; published forms keep the labels they were published with."""
    if key == purposes.REUSE_KEY:
        raise problems.Conflict("the reserved purpose cannot be changed")
    row = await repository.purpose(session, campaign_id=campaign_id, key=key)
    if row is None:
        raise problems.NotFound("no such purpose in this campaign")
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(row, name, value)
    return _public(purposes.view(row))
