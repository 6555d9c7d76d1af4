"""The simulated operator network behind the SMS gateway: segments, outcomes, signed receipts.

Numbers ending in 0000 are unreachable (SMS and calls fail); calls to numbers ending in 0001
go unanswered; everything else is delivered or answered. Each outcome, and each inbound
reply, is posted to the webhook signed with `isoloir.signing`, retried with backoff under
the same delivery id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx

from isoloir import signing

# 3GPP TS 23.038: the default alphabet (without the escape) and its extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"  # each costs two septets: the escape, then the character

log = logging.getLogger("isoloir.smsgateway")


class Segmentation(NamedTuple):
    """How a text travels: its encoding (gsm7 or ucs2) and the number of SMS it takes."""

    encoding: str
    segments: int


def count_segments(*, text: str) -> Segmentation:
    """Return the encoding and the number of segments a text needs."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        encoding, single, multi = "gsm7", 160, 153
    else:  # UCS-2 counts UTF-16 code units: an emoji takes two
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        encoding, single, multi = "ucs2", 70, 67
    if sum(costs) <= single:
        return Segmentation(encoding, 1)
    segments, used = 1, 0
    for cost in costs:  # an escape pair or a surrogate pair never straddles two segments
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return Segmentation(encoding, segments)


def now() -> str:
    """Return the current UTC time in ISO-8601."""
    return datetime.now(UTC).isoformat()


@dataclass(kw_only=True)
class Record:
    """One SMS, call or inbound reply, as GET /api/messages shows it."""

    kind: str  # sms, call or inbound
    sender: str
    to: str
    text: str
    client_ref: str | None = None
    status: str = "accepted"
    error: str | None = None
    segments: int | None = None
    encoding: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now)
    delivery_id: str | None = None  # X-Isoloir-Delivery of the webhook sent about it
    webhook: str = "pending"  # pending, delivered, failed or disabled
    webhook_attempts: int = 0


@dataclass(kw_only=True)
class Network:
    """The simulator's settings, memory and webhook sender."""

    api_key: str
    webhook_url: str | None
    webhook_secret: str
    receipt_delay: float
    max_attempts: int
    retry_backoff: float
    http: httpx.AsyncClient | None = None  # owned by the app's lifespan
    records: list[Record] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def accept(self, record: Record) -> Record:
        """Keep a record and report its outcome (or the reply) to the webhook soon."""
        self.records.append(record)
        task = asyncio.create_task(self._complete(record))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        log.info("accepted", extra={"record_id": record.id, "kind": record.kind})
        return record

    async def aclose(self) -> None:
        """Cancel every pending receipt and retry."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _complete(self, record: Record) -> None:
        try:
            if record.kind != "inbound":
                await asyncio.sleep(self.receipt_delay)
                record.status, record.error = outcome(kind=record.kind, to=record.to)
            record.delivery_id = record.id if record.kind == "inbound" else str(uuid.uuid4())
            await self._notify(record, json.dumps(_payload(record)).encode())
        except Exception:
            log.exception("receipt failed", extra={"record_id": record.id})

    async def _notify(self, record: Record, body: bytes) -> None:
        delivery = str(record.delivery_id)
        if self.webhook_url is None or self.http is None:
            record.webhook = "disabled"
            return
        for attempt in range(1, self.max_attempts + 1):
            record.webhook_attempts = attempt
            # Signed afresh on each attempt, so that a late retry carries a fresh timestamp.
            headers = signing.sign_webhook(secret=self.webhook_secret, body=body)
            headers |= {signing.DELIVERY_HEADER: delivery, "Content-Type": "application/json"}
            try:
                response = await self.http.post(self.webhook_url, content=body, headers=headers)
                if response.is_success:
                    record.webhook = "delivered"
                    log.info("webhook delivered", extra={"delivery_id": delivery})
                    return
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            log.warning("webhook attempt failed", extra={"delivery_id": delivery, "reason": reason})
            if attempt < self.max_attempts:
                await asyncio.sleep(self.retry_backoff * 2 ** (attempt - 1))
        record.webhook = "failed"


def outcome(*, kind: str, to: str) -> tuple[str, str | None]:
    """Return the status and error the network gives an SMS or a call to this number."""
    if to.endswith("0000"):
        return "failed", "unreachable"
    if kind == "call":
        return ("no_answer", None) if to.endswith("0001") else ("answered", None)
    return "delivered", None


def _payload(record: Record) -> dict[str, Any]:
    if record.kind == "inbound":
        return {
            "type": "inbound",
            "id": record.id,
            "from": record.sender,
            "to": record.to,
            "body": record.text,
            "received_at": record.created_at,
        }
    return {
        "type": "delivery_receipt" if record.kind == "sms" else "call_receipt",
        "id": record.delivery_id,
        "message_id": record.id,
        "client_ref": record.client_ref,
        "to": record.to,
        "status": record.status,
        "error": record.error,
        "at": now(),
    }
