"""Events of contacts-svc: campaigns, contacts and contact files.

Payloads carry ids, pseudonymous hashes and the few non-identifying attributes other services
compute on (polling station, birth year, kind); never names, emails, phones or addresses.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from isoloir.events.envelope import EventPayload, register

TOPIC = "contacts"

ContactKind = Literal["occasional", "regular"]
Sex = Literal["F", "M"]


@register
class CampaignUpserted(EventPayload):
    """A campaign was created or changed: the identity every message must state (R1)."""

    event_type: ClassVar[str] = "campaign.upserted"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    campaign_id: uuid.UUID
    party_id: uuid.UUID
    party_name: str
    candidate_name: str
    election_kind: str
    election_rounds: list[date]
    territory: str
    ends_on: date
    rights_contact_email: str | None = None


class _ContactState(EventPayload):
    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    file_id: uuid.UUID
    kind: ContactKind
    origin: str
    polling_station: str | None = None
    birth_year: int | None = None
    sex: Sex | None = None
    email_hash: str | None = None
    phone_hash: str | None = None
    has_postal_address: bool = False
    occurred_at: datetime


@register
class ContactCreated(_ContactState):
    event_type: ClassVar[str] = "contact.created"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC


@register
class ContactUpdated(_ContactState):
    event_type: ClassVar[str] = "contact.updated"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    changed_fields: list[str]


@register
class ContactDeleted(EventPayload):
    """A contact is gone: every service forgets it and everything derived from it."""

    event_type: ClassVar[str] = "contact.deleted"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    reason: Literal["erasure", "purge", "refusal", "staff", "objection"]
    occurred_at: datetime


@register
class ContactMerged(EventPayload):
    """Two records were one person: `duplicate_id` now means `kept_id`."""

    event_type: ClassVar[str] = "contact.merged"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    campaign_id: uuid.UUID
    duplicate_id: uuid.UUID
    kept_id: uuid.UUID
    occurred_at: datetime


@register
class ContactRejected(EventPayload):
    """A proposed contact (e.g. from a form submission) was not created, and why."""

    event_type: ClassVar[str] = "contact.rejected"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    campaign_id: uuid.UUID
    proposed_id: uuid.UUID
    reason: Literal["opposition_list", "invalid", "sensitive_data", "campaign_closed"]
    detail: str | None = None
    occurred_at: datetime


@register
class FilePurged(EventPayload):
    """A contact file reached its retention end; its contacts were deleted (R9)."""

    event_type: ClassVar[str] = "file.purged"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    file_id: uuid.UUID
    campaign_id: uuid.UUID
    purged_count: int
    reason: Literal["retention_end", "campaign_end", "staff"]
    occurred_at: datetime
