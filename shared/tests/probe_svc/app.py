"""The probe service: its own table, one event type, one handler, one campaign route."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, ClassVar

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict
from sqlmodel import Field as SQLField

from isoloir import auth, db, migrations, problems, service
from isoloir.consumer import EventContext
from isoloir.events import EventPayload, register
from isoloir.http import SessionDep
from isoloir.settings import ServiceSettings

Base = db.model_base("ProbeBase")


class Note(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "probe_notes"
    id: uuid.UUID = SQLField(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = SQLField(index=True)
    text: str


class Applied(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "probe_applied"
    id: int | None = SQLField(default=None, primary_key=True)
    note_id: uuid.UUID = SQLField(index=True)
    source: str


@register
class NoteCreated(EventPayload):
    event_type: ClassVar[str] = "probe.note_created"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = "probe"

    note_id: uuid.UUID
    campaign_id: uuid.UUID
    text: str


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROBE_", extra="ignore")
    service_name: ClassVar[str] = "probe"


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500)


class NotePublic(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    text: str


async def on_note_created(payload: NoteCreated, *, ctx: EventContext) -> None:
    if payload.text == "poison":
        raise ValueError("this note cannot be applied")
    ctx.session.add(Applied(note_id=payload.note_id, source=ctx.envelope.source))


router = service.json_router(prefix="/v1/campaigns/{campaign_id}")
Manager = Annotated[auth.Principal, Depends(auth.require_campaign(auth.Role.CAMPAIGN_MANAGER))]


@router.post("/notes", status_code=201, responses=problems.responses(problems.Forbidden))
async def create_note(
    campaign_id: uuid.UUID,
    body: NoteCreate,
    principal: Manager,
    session: SessionDep,
    kernel: service.KernelDep,
) -> NotePublic:
    """Write a note and its event in one transaction."""
    note = Note(campaign_id=campaign_id, text=body.text)
    session.add(note)
    await session.flush()
    payload = NoteCreated(note_id=note.id, campaign_id=campaign_id, text=note.text)
    await kernel.outbox.add(session, payload, tenant_id=str(campaign_id), key=str(note.id))
    return NotePublic(id=note.id, campaign_id=campaign_id, text=note.text)


@router.get("/notes/{note_id}", responses=problems.responses(problems.NotFound))
async def read_note(
    campaign_id: uuid.UUID,
    note_id: uuid.UUID,
    principal: Manager,
    session: SessionDep,
) -> NotePublic:
    """Read one note of the campaign."""
    note = await session.scalar(
        sa.select(Note).where(Note.id == note_id, Note.campaign_id == campaign_id)  # type: ignore[arg-type]
    )
    if note is None:
        raise problems.NotFound("no such note in this campaign")
    return NotePublic(id=note.id, campaign_id=note.campaign_id, text=note.text)


def create_app(settings: ProbeSettings, *, handles_notes: bool = True) -> FastAPI:
    handlers = {NoteCreated.event_type: [on_note_created]} if handles_notes else {}
    return service.create_service_app(
        service.ServiceDefinition(
            title="probe",
            description="kernel test service",
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="probe",
                versions=Path(__file__).parent / "migrations",
                metadata=Base.metadata,
            ),
            routers=[router],
            handlers=handlers,
        )
    )
