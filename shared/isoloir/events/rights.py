"""Events of rights-svc: a data-subject request fanned out, and each service's answer (R5, I3).

The person is identified by known contact ids and by keyed hashes of their email and phone
(`isoloir.identity`), so services match them without plaintext on the topic; only a
rectification carries the corrected values.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from isoloir.events.envelope import EventPayload, register

TOPIC = "rights"

RequestKind = Literal["access", "rectification", "erasure", "portability", "objection"]


@register
class RightsRequestOpened(EventPayload):
    event_type: ClassVar[str] = "rights.request.opened"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    request_id: uuid.UUID
    kind: RequestKind
    campaign_id: uuid.UUID | None  # None: every campaign of the party
    contact_ids: list[uuid.UUID] = Field(default_factory=list)
    email_hash: str | None = None
    phone_hash: str | None = None
    rectification: dict[str, str] | None = None
    due_at: datetime
    occurred_at: datetime


@register
class RightsRequestAcknowledged(EventPayload):
    """One service's answer; the request is complete when every service has answered."""

    event_type: ClassVar[str] = "rights.request.acknowledged"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    request_id: uuid.UUID
    service: str
    outcome: Literal["done", "nothing_held", "refused"]
    detail: str | None = None
    export: dict[str, Any] | None = None  # access and portability: everything held, with origin
    occurred_at: datetime
