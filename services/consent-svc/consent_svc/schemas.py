"""Request and response bodies of the staff API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from isoloir.events.consent import CallWindow, Channel, ConsentState, Method

PURPOSE_KEY = r"^[a-z][a-z0-9_]{1,63}$"
BUNDLED = ("all", "*", "any", "every", "tous", "toutes", "tout")
StaffMethod = Literal["paper_form", "canvassing", "sms_reply", "staff_entry"]
SocialInteraction = Literal["follow", "like", "share", "friend", "comment", "subscribe"]
Language = Literal["fr", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def refuse_bundles(value: Any, what: str) -> Any:
    """Refuse anything but one channel or one purpose (R11: one consent, one checkbox)."""
    bundled = isinstance(value, list | tuple | set | dict) or (
        isinstance(value, str)
        and (value.strip().lower() in BUNDLED or any(sep in value for sep in ",;|+ "))
    )
    if bundled:
        raise ValueError(
            f"R11: a consent covers exactly one {what}; lists, combined values and "
            f"'all' are refused (record one entry per {what})"
        )
    return value


class NoticeRef(Strict):
    """Which information notice the person was shown: its text, its hash, or a form version."""

    text: str | None = Field(default=None, min_length=1, max_length=20_000)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    form_id: uuid.UUID | None = None
    form_version: int | None = Field(default=None, ge=1)
    language: Language = "fr"


class EntryCreate(Strict):
    """One consent change for one channel and one purpose."""

    channel: Channel
    purpose: str = Field(pattern=PURPOSE_KEY)
    state: Literal["granted", "refused", "withdrawn"]
    method: StaffMethod
    occurred_at: datetime | None = Field(
        default=None, description="When the person expressed it (default: now)."
    )
    notice: NoticeRef | None = Field(
        default=None, description="Required for a grant: the notice shown (R11)."
    )
    call_window: CallWindow | None = Field(
        default=None, description="Required for an automated-call grant (R16)."
    )
    social_interaction: SocialInteraction | None = Field(
        default=None, description="Set when the evidence is a social-network interaction (R13)."
    )
    note: str | None = Field(default=None, max_length=1000)

    _one_channel = field_validator("channel", mode="before")(lambda v: refuse_bundles(v, "channel"))
    _one_purpose = field_validator("purpose", mode="before")(lambda v: refuse_bundles(v, "purpose"))


class Ask(Strict):
    channel: Channel
    purpose: str = Field(pattern=PURPOSE_KEY)
    call_window: CallWindow | None = None

    _one_channel = field_validator("channel", mode="before")(lambda v: refuse_bundles(v, "channel"))
    _one_purpose = field_validator("purpose", mode="before")(lambda v: refuse_bundles(v, "purpose"))


class ConsentRequestCreate(Strict):
    """Ask a contact for consent: one pending entry per (channel, purpose) asked."""

    contact_id: uuid.UUID
    asks: list[Ask] = Field(min_length=1, max_length=10)
    method: StaffMethod = "staff_entry"
    notice: NoticeRef | None = None
    expires_in_days: float | None = Field(default=None, gt=0, le=365)


class EntryPublic(BaseModel):
    id: uuid.UUID
    seq: int
    contact_id: uuid.UUID | None
    channel: Channel
    purpose: str
    state: ConsentState
    previous_state: ConsentState | None
    method: Method
    collector: str
    form_id: uuid.UUID | None
    form_version: int | None
    notice_sha256: str | None
    language: str | None
    call_window: dict[str, Any] | None
    reason: str | None
    source_ref: str | None
    occurred_at: datetime
    recorded_at: datetime
    optout_seq: int | None
    ip_address: str | None
    user_agent: str | None
    note: str | None
    erased: bool
    prev_hash: str
    entry_hash: str


class StatePublic(BaseModel):
    channel: Channel
    purpose: str
    state: ConsentState
    since: datetime
    entry_id: uuid.UUID
    expires_at: datetime | None
    call_window: dict[str, Any] | None


class ContactConsents(BaseModel):
    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    kind: str | None
    states: list[StatePublic]


class ConsentRequestPublic(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    requested_at: datetime
    expires_at: datetime
    entries: list[EntryPublic]


class EntriesPage(BaseModel):
    entries: list[EntryPublic]
    next_after_seq: int | None


class FailurePublic(BaseModel):
    entry_id: uuid.UUID | None
    seq: int
    reason: str


class VerifyReport(BaseModel):
    campaign_id: uuid.UUID
    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    first_failure: FailurePublic | None


class NoticePublic(BaseModel):
    sha256: str
    text: str
    created_at: datetime


class Watermark(BaseModel):
    optout_seq: int = Field(description="Highest opt-out number committed and acknowledged.")
