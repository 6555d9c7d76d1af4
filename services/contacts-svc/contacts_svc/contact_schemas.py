"""Request and response bodies of contacts, canvassing entries and segments."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contacts_svc.rules import ContactKind, Origin


class ContactFieldsIn(BaseModel):
    """The allow-listed fields; anything else sent is refused by name (R10)."""

    # Unknown names are kept so the guard can refuse them by name rather than drop them.
    model_config = ConfigDict(extra="allow")

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = Field(default=None, description="Any format; stored in E.164 (FR default).")
    postal_address: str | None = None
    polling_station: str | None = None
    birth_year: int | None = None
    sex: str | None = Field(default=None, description="F or M, as on the electoral list.")
    tags: list[str] | None = Field(default=None, description="Regular contacts only (R14).")
    interests: list[str] | None = Field(default=None, description="Regular contacts only (R14).")
    notes: str | None = Field(default=None, description="Regular contacts only (R14).")
    support_level: int | None = Field(default=None, description="1-5; regular contacts only.")

    def raw(self) -> dict[str, Any]:
        """Return the fields that were sent, unknown ones included."""
        sent = self.model_dump(exclude_unset=True)
        sent.update(self.model_extra or {})
        return sent


class ContactIn(ContactFieldsIn):
    file_id: uuid.UUID
    kind: ContactKind
    origin: Origin = Field(description="Where the data came from (R2); must fit the file.")

    def raw(self) -> dict[str, Any]:
        sent = super().raw()
        for name in ("file_id", "kind", "origin"):
            sent.pop(name, None)
        return sent


class ContactPatch(ContactFieldsIn):
    kind: ContactKind | None = None

    def raw(self) -> dict[str, Any]:
        sent = super().raw()
        sent.pop("kind", None)
        return sent


class ContactOut(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    file_id: uuid.UUID
    kind: ContactKind
    origin: Origin
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    postal_address: str | None
    polling_station: str | None
    birth_year: int | None
    sex: str | None
    tags: list[str] | None
    interests: list[str] | None
    notes: str | None
    support_level: int | None
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_after: uuid.UUID | None = Field(description="Pass as `after` for the next page.")


class InteractionKind(StrEnum):
    DOOR_TO_DOOR = "door_to_door"
    MEETING = "meeting"
    CALL = "call"
    EVENT = "event"


class Outcome(StrEnum):
    MET = "met"
    NOT_HOME = "not_home"
    DECLINED = "declined"
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    CALL_BACK = "call_back"
    VOICEMAIL = "voicemail"
    ATTENDED = "attended"


class InteractionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: InteractionKind
    outcome: Outcome
    occurred_at: datetime | None = Field(default=None, description="Default: now.")
    polling_station: str | None = Field(default=None, max_length=20)
    contact_id: uuid.UUID | None = None
    notes: str | None = Field(default=None, max_length=2000)


class InteractionOut(BaseModel):
    id: uuid.UUID
    kind: InteractionKind
    outcome: Outcome
    staff_id: str
    occurred_at: datetime
    polling_station: str | None
    contact_id: uuid.UUID | None
    notes: str | None


class InteractionPage(BaseModel):
    items: list[InteractionOut]
    next_after: uuid.UUID | None


class AgeBand(StrEnum):
    A18_24 = "18-24"
    A25_34 = "25-34"
    A35_49 = "35-49"
    A50_64 = "50-64"
    A65_PLUS = "65+"


class SegmentFilters(BaseModel):
    """Every filter given must hold; within one filter, any listed value matches."""

    model_config = ConfigDict(extra="forbid")

    polling_stations: list[str] | None = Field(default=None, max_length=500)
    age_bands: list[AgeBand] | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    file_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    kinds: list[ContactKind] | None = None
    interaction_kinds: list[InteractionKind] | None = None
    interaction_outcomes: list[Outcome] | None = None


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    filters: SegmentFilters


class SegmentOut(BaseModel):
    id: uuid.UUID
    name: str
    filters: SegmentFilters
    created_at: datetime


class CountCell(BaseModel):
    polling_station: str | None = None
    age_band: str | None = None
    sex: str | None = None
    count: int


class Counts(BaseModel):
    dimensions: list[str]
    minimum_cell: int = Field(description="No cell below this count is ever shown.")
    cells: list[CountCell]
    suppressed_cells: int = Field(
        description="Cells too small to show; merged into 'other' if big enough."
    )


class ImportOut(BaseModel):
    id: uuid.UUID
    file_id: uuid.UUID
    status: str = Field(description="queued, running, done or failed")
    kind: ContactKind
    origin: Origin
    encoding: str
    delimiter: str
    columns: list[str | None] = Field(
        description="The field read from each column (None: ignored)."
    )
    ignored_columns: list[str]
    size_bytes: int
    processed_bytes: int
    progress: float = Field(description="Share of the file processed, 0 to 1.")
    rows_read: int
    created: int
    merged: int = Field(description="Rows that added data to a contact already held.")
    unchanged: int = Field(description="Rows about a contact already held, with nothing new.")
    duplicates: int = Field(description="Rows folded into an earlier row of the same person.")
    skipped: int = Field(description="People on the opposition list, not imported.")
    errors: int = Field(description="Rows refused; see the error report.")
    failure: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
