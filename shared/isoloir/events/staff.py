"""Events about staff accounts, honoured by every service's authentication."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from isoloir.events.envelope import EventPayload, register

TOPIC = "staff"


@register
class StaffRevoked(EventPayload):
    """Every token of this subject issued at or before `revoked_at` is refused."""

    event_type: ClassVar[str] = "staff.revoked"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = TOPIC

    staff_id: str
    revoked_at: datetime
    reason: Literal["deactivated", "password_reset", "role_changed", "logout_everywhere"]
