"""Versioned event schemas, defined once for the whole platform.

Importing this package registers every schema in `REGISTRY`.
"""

from isoloir.events import consent, contacts, rights, staff
from isoloir.events.envelope import (
    REGISTRY,
    Envelope,
    EventPayload,
    EventSchemaError,
    envelope_for,
    register,
)

DEAD_LETTER_TOPIC = "dead-letter"

__all__ = [
    "DEAD_LETTER_TOPIC",
    "REGISTRY",
    "Envelope",
    "EventPayload",
    "EventSchemaError",
    "consent",
    "contacts",
    "envelope_for",
    "register",
    "rights",
    "staff",
]
