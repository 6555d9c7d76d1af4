"""The one envelope every event travels in, and the schema registry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from isoloir.db import utcnow


class EventSchemaError(ValueError):
    """An event that cannot be parsed: bad envelope, unknown type or version, bad payload."""


class EventPayload(BaseModel):
    """Base of every event payload: ids and ISO datetimes, never ORM objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int]
    topic: ClassVar[str]


class Envelope(BaseModel):
    """What is written to the outbox and published on Kafka."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    version: int
    tenant_id: str | None = Field(description="Campaign (or party) the event belongs to.")
    occurred_at: datetime = Field(default_factory=utcnow)
    source: str
    key: str = Field(description="Partition key: the contact (or subject) the event is about.")
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        """Serialise as UTF-8 JSON."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse; raise EventSchemaError when the bytes are not an envelope."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise EventSchemaError(f"not a valid envelope: {_summary(exc)}") from exc

    def parse_payload(self) -> EventPayload:
        """Validate the payload against its registered schema."""
        schema = REGISTRY.get(self.event_type, self.version)
        try:
            return schema.model_validate(self.payload)
        except ValidationError as exc:
            raise EventSchemaError(
                f"payload of {self.event_type} v{self.version} is not valid: {_summary(exc)}"
            ) from exc


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


P = TypeVar("P", bound=type[EventPayload])


class Registry:
    """Every event schema of the platform, by (type, version)."""

    def __init__(self) -> None:
        self._schemas: dict[tuple[str, int], type[EventPayload]] = {}

    def register(self, schema: P) -> P:
        """Add a schema; a type's versions must all use the same topic."""
        key = (schema.event_type, schema.version)
        if key in self._schemas:
            raise ValueError(f"event {key} is registered twice")
        for (etype, _), other in self._schemas.items():
            if etype == schema.event_type and other.topic != schema.topic:
                raise ValueError(f"event {etype} would be published on two topics")
        self._schemas[key] = schema
        return schema

    def get(self, event_type: str, version: int) -> type[EventPayload]:
        """Return the schema; raise EventSchemaError if none is registered."""
        try:
            return self._schemas[(event_type, version)]
        except KeyError:
            raise EventSchemaError(f"unknown event {event_type} v{version}") from None

    def topic_of(self, event_type: str) -> str:
        """Return the logical topic of an event type."""
        for (etype, _), schema in self._schemas.items():
            if etype == event_type:
                return schema.topic
        raise EventSchemaError(f"unknown event type {event_type}")

    def topics(self) -> set[str]:
        """Return every logical topic."""
        return {schema.topic for schema in self._schemas.values()}

    def schemas(self) -> list[type[EventPayload]]:
        """Return every registered schema."""
        return list(self._schemas.values())


REGISTRY = Registry()

register: Callable[[P], P] = REGISTRY.register


def envelope_for(
    payload: EventPayload, *, tenant_id: str | None, key: str, source: str
) -> Envelope:
    """Wrap a payload in a new envelope."""
    return Envelope(
        event_type=payload.event_type,
        version=payload.version,
        tenant_id=tenant_id,
        source=source,
        key=key,
        payload=payload.model_dump(mode="json"),
    )
