"""contact.created events of an import, written straight as outbox rows.

The hot path of an import writes one event per new contact. Every value was validated on its
way in (`fields.read_values`), so the envelope is rendered as JSON text directly rather than
through the pydantic models, which would cost more than the rest of the row; the import tests
parse every event written back with `Envelope.from_bytes(...).parse_payload()`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from contacts_svc import ids
from contacts_svc.fields import ContactValues
from isoloir.events.contacts import ContactCreated
from isoloir.outbox import Outbox


def _text(value: str | None) -> str:
    return "null" if value is None else str(_string(value))


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def outbox_rows(
    outbox: Outbox,
    *,
    campaign_id: uuid.UUID,
    file_id: uuid.UUID,
    kind: str,
    origin: str,
    contacts: list[tuple[uuid.UUID, ContactValues]],
    now: datetime,
) -> list[tuple[Any, ...]]:
    """Return kernel outbox rows (event_id, topic, key, event_type, value, created_at)."""
    settings = outbox.settings
    topic = settings.topic(ContactCreated.topic)
    when = json.dumps(now.isoformat().replace("+00:00", "Z"))
    campaign = json.dumps(str(campaign_id))
    envelope_head = (
        f'","event_type":"{ContactCreated.event_type}","version":{ContactCreated.version}'
        f',"tenant_id":{campaign},"occurred_at":{when},"source":{json.dumps(settings.service_name)}'
        ',"key":"'
    )
    payload_head = (
        f'","campaign_id":{campaign},"file_id":{json.dumps(str(file_id))}'
        f',"kind":{json.dumps(kind)},"origin":{json.dumps(origin)},"polling_station":'
    )
    rows = []
    for contact_id, v in contacts:
        event_id = ids.ordered_id()
        key = str(contact_id)
        value = "".join(
            (
                '{"event_id":"',
                str(event_id),
                envelope_head,
                key,
                '","payload":{"contact_id":"',
                key,
                payload_head,
                _text(v.polling_station),
                ',"birth_year":',
                _number(v.birth_year),
                ',"sex":',
                _text(v.sex),
                ',"email_hash":',
                _text(v.email_hash),
                ',"phone_hash":',
                _text(v.phone_hash),
                ',"has_postal_address":',
                "true" if v.postal_address else "false",
                ',"occurred_at":',
                when,
                "}}",
            )
        )
        rows.append((event_id, topic, key, ContactCreated.event_type, value.encode(), now))
    return rows
