"""Signatures that make webhooks and public links unforgeable (invariant I5).

Webhooks: the sender signs ``f"{timestamp}.{body}"`` with HMAC-SHA256 and sends
``X-Isoloir-Timestamp``, ``X-Isoloir-Signature: v1=<hex>[,v1=<hex>]`` (several during a secret
rotation) and a unique ``X-Isoloir-Delivery`` id. A receiver checks the signature, refuses
timestamps outside its tolerance, and records delivery ids to refuse replays.

Public links: compact signed tokens (JWT, HS256) with a purpose, so a token minted for one
page cannot open another, and an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import jwt

TIMESTAMP_HEADER = "X-Isoloir-Timestamp"
SIGNATURE_HEADER = "X-Isoloir-Signature"
DELIVERY_HEADER = "X-Isoloir-Delivery"
DEFAULT_TOLERANCE = timedelta(minutes=5)


class SignatureError(ValueError):
    """A signature, timestamp or token that must be refused; the message says why."""


def sign_webhook(*, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Return the timestamp and signature headers for a webhook body."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = _hmac(secret, ts, body)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: f"v1={digest}"}


def verify_webhook(
    *,
    secrets: Sequence[str],
    body: bytes,
    headers: Mapping[str, str],
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a webhook's signature and freshness; return its timestamp."""
    raw_ts = _header(headers, TIMESTAMP_HEADER)
    raw_sig = _header(headers, SIGNATURE_HEADER)
    if raw_ts is None or raw_sig is None:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        ts = int(raw_ts)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a unix timestamp") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance.total_seconds():
        raise SignatureError("timestamp outside the accepted window (replay or clock skew)")
    offered = [part.strip()[3:] for part in raw_sig.split(",") if part.strip().startswith("v1=")]
    if not offered:
        raise SignatureError("no v1 signature in the signature header")
    for secret in secrets:
        expected = _hmac(secret, ts, body)
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return ts
    raise SignatureError("signature does not match")


def _hmac(secret: str, ts: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


MIN_SECRET_BYTES = 32


def _check_secret(secret: str) -> None:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"link secrets must be at least {MIN_SECRET_BYTES} bytes long")


def sign_link(
    *, secret: str, purpose: str, claims: Mapping[str, Any], ttl: timedelta | None
) -> str:
    """Return a URL-safe token for a public link; `ttl=None` never expires."""
    _check_secret(secret)
    body: dict[str, Any] = {**claims, "pur": purpose, "iat": int(time.time())}
    if ttl is not None:
        body["exp"] = int(time.time() + ttl.total_seconds())
    return jwt.encode(body, secret, algorithm="HS256")


def read_link(*, secret: str, purpose: str, token: str) -> dict[str, Any]:
    """Return a link token's claims; raise SignatureError if forged, expired or misused."""
    _check_secret(secret)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["pur", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        raise SignatureError("this link has expired") from None
    except jwt.PyJWTError:
        raise SignatureError("this link is not valid") from None
    if claims.get("pur") != purpose:
        raise SignatureError("this link is not valid for this page")
    return claims


def keyed_hash(*, secret: str, value: str) -> str:
    """Return HMAC-SHA256 of a normalised value (for suppression lists)."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
