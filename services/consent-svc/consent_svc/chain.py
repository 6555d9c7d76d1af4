"""The hash chain: what each ledger entry's hash covers, and how the chain is checked.

An entry's hash covers its canonical content (every column that carries meaning), the salted
digest of its personal evidence, and the previous entry's hash. Erasure clears the personal
columns and the salt, never the digest, so the chain still verifies after it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from consent_svc.models import Entry

GENESIS = "0" * 64
_DOMAIN = b"isoloir-consent-ledger-v1\n"


def canonical(value: Any) -> bytes:
    """Serialise a JSON-able value the one way the chain hashes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def new_salt() -> str:
    """Return a fresh salt for an entry's personal digest."""
    return secrets.token_hex(16)


def personal_digest(
    *,
    salt: str,
    contact_id: uuid.UUID | None,
    ip_address: str | None,
    user_agent: str | None,
    note: str | None,
) -> str:
    """Return the salted digest of an entry's personal evidence."""
    body = canonical(
        {"contact_id": _str(contact_id), "ip": ip_address, "ua": user_agent, "note": note}
    )
    return hashlib.sha256(salt.encode() + b"\n" + body).hexdigest()


def covered(entry: Entry) -> dict[str, Any]:
    """Return the fields of an entry the chain covers (personal ones only by digest)."""
    return {
        "id": str(entry.id),
        "campaign_id": str(entry.campaign_id),
        "seq": entry.seq,
        "channel": entry.channel,
        "purpose": entry.purpose,
        "state": entry.state,
        "previous_state": entry.previous_state,
        "method": entry.method,
        "collector": entry.collector,
        "form_id": _str(entry.form_id),
        "form_version": entry.form_version,
        "notice_sha256": entry.notice_sha256,
        "language": entry.language,
        "call_window": entry.call_window,
        "reason": entry.reason,
        "source_ref": entry.source_ref,
        "occurred_at": _iso(entry.occurred_at),
        "recorded_at": _iso(entry.recorded_at),
        "optout_seq": entry.optout_seq,
        "personal_digest": entry.personal_digest,
    }


def entry_hash(entry: Entry, *, prev_hash: str) -> str:
    """Return the hash of an entry chained after `prev_hash`."""
    return hashlib.sha256(
        _DOMAIN + canonical(covered(entry)) + b"\n" + prev_hash.encode()
    ).hexdigest()


def seal(entry: Entry, *, prev_hash: str) -> None:
    """Fill an entry's personal digest, previous hash and own hash."""
    entry.personal_salt = entry.personal_salt or new_salt()
    entry.personal_digest = personal_digest(
        salt=entry.personal_salt,
        contact_id=entry.contact_id,
        ip_address=entry.ip_address,
        user_agent=entry.user_agent,
        note=entry.note,
    )
    entry.prev_hash = prev_hash
    entry.entry_hash = entry_hash(entry, prev_hash=prev_hash)


@dataclass(frozen=True)
class Failure:
    """The first entry that does not verify, and why."""

    entry_id: uuid.UUID | None
    seq: int
    reason: str


def check_entry(entry: Entry, *, expected_seq: int, prev_hash: str) -> Failure | None:
    """Check one entry against its predecessor; return why it fails, if it does."""
    if entry.seq != expected_seq:
        return Failure(
            entry_id=entry.id,
            seq=expected_seq,
            reason=f"entry {expected_seq} is missing (next stored entry is {entry.seq})",
        )
    if entry.prev_hash != prev_hash:
        return Failure(
            entry_id=entry.id,
            seq=entry.seq,
            reason="its previous-entry hash does not match the entry before it",
        )
    if entry_hash(entry, prev_hash=prev_hash) != entry.entry_hash:
        return Failure(
            entry_id=entry.id,
            seq=entry.seq,
            reason="its content does not match its hash (a stored field was altered)",
        )
    return _check_personal(entry)


def _check_personal(entry: Entry) -> Failure | None:
    personal = (entry.contact_id, entry.ip_address, entry.user_agent, entry.note)
    if entry.erased_at is not None or entry.personal_salt is None:
        if (
            entry.erased_at is None
            or entry.personal_salt is not None
            or any(v is not None for v in personal)
        ):
            return Failure(
                entry_id=entry.id,
                seq=entry.seq,
                reason="its erasure is inconsistent (personal evidence half cleared)",
            )
        return None
    digest = personal_digest(
        salt=entry.personal_salt,
        contact_id=entry.contact_id,
        ip_address=entry.ip_address,
        user_agent=entry.user_agent,
        note=entry.note,
    )
    if digest != entry.personal_digest:
        return Failure(
            entry_id=entry.id,
            seq=entry.seq,
            reason="its personal evidence (contact, IP, user agent, note) does not match "
            "its digest",
        )
    return None
