"""Events of consent-svc: the ledger's changes, form submissions and the opposition list.

Opt-out events (refused, withdrawn, opposition added) carry `optout_seq`, a number that only
grows: consent-svc serves the highest one it has acknowledged, so messaging-svc can prove its
view is at least that new before releasing a batch (invariant I1).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from isoloir.events.envelope import EventPayload, register

TOPIC = "consent"

Channel = Literal["email", "sms", "phone", "automated_call", "post"]
ConsentState = Literal["granted", "refused", "withdrawn", "pending", "expired"]
Method = Literal[
    "web_form",
    "paper_form",
    "canvassing",
    "preference_centre",
    "sms_reply",
    "staff_entry",
    "unsubscribe_link",
    "rights_request",
]


class CallWindow(BaseModel):
    """When automated calls may be placed, as announced to the person (R16)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekdays: list[int]  # ISO weekdays, 1 = Monday
    start: time
    end: time
    timezone: str = "Europe/Paris"


class _ConsentChange(EventPayload):
    entry_id: uuid.UUID
    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    channel: Channel
    purpose: str
    state: ConsentState
    previous_state: ConsentState | None
    method: Method
    call_window: CallWindow | None = None
    optout_seq: int | None = None
    occurred_at: datetime


@register
class ConsentRequested(_ConsentChange):
    event_type: ClassVar[str] = "consent.requested"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class ConsentGranted(_ConsentChange):
    event_type: ClassVar[str] = "consent.granted"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class ConsentRefused(_ConsentChange):
    """R12: a refusal means the contact's data is deleted."""

    event_type: ClassVar[str] = "consent.refused"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class ConsentWithdrawn(_ConsentChange):
    event_type: ClassVar[str] = "consent.withdrawn"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class ConsentExpired(_ConsentChange):
    """A pending request expired: silence is not consent (R12)."""

    event_type: ClassVar[str] = "consent.expired"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class FormSubmitted(EventPayload):
    """A person filled a public consent form: contacts-svc creates or updates the contact.

    It carries the person's own entries (the only consent event that does); contacts-svc
    creates the contact under `proposed_contact_id`, or answers with contact.merged or
    contact.rejected.
    """

    event_type: ClassVar[str] = "consent.form_submitted"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    submission_id: uuid.UUID
    campaign_id: uuid.UUID
    form_id: uuid.UUID
    proposed_contact_id: uuid.UUID
    contact_kind: Literal["occasional", "regular"]
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_code: str | None = None
    occurred_at: datetime


@register
class OppositionAdded(EventPayload):
    """Keyed hashes of an email and/or phone that must never be contacted again."""

    event_type: ClassVar[str] = "opposition.added"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    email_hash: str | None = None
    phone_hash: str | None = None
    source: Literal["objection", "erasure", "party_unsubscribe", "import", "sms_stop"]
    optout_seq: int
    occurred_at: datetime


@register
class OppositionRemoved(EventPayload):
    """The person gave a new, evidenced consent that supersedes their objection."""

    event_type: ClassVar[str] = "opposition.removed"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    email_hash: str | None = None
    phone_hash: str | None = None
    reason: Literal["new_consent"]
    occurred_at: datetime
