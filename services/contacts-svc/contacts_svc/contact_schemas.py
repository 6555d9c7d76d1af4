"""Request and response bodies of contacts, canvassing entries and segments."""

from __future__ import annotations

import uuid
from datetime import datetime
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
