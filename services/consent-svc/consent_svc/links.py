"""Signed voter links: the preference centre and per-message unsubscribe links (I5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from consent_svc.config import ConsentSettings
from isoloir import signing
from isoloir.db import utcnow
from isoloir.events.consent import Channel

PREFERENCES = "consent.preferences"
UNSUBSCRIBE = "consent.unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class UnsubscribeClaims:
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    channel: Channel
    message_id: str


def page_url(settings: ConsentSettings, path: str) -> str:
    """Return the absolute URL of a voter page."""
    return f"{settings.public_base_url.rstrip('/')}{path}"


def preference_link(
    settings: ConsentSettings, *, campaign_id: uuid.UUID, contact_id: uuid.UUID
) -> tuple[str, datetime]:
    """Return a signed, expiring preference-centre URL for one contact, and its expiry."""
    ttl = timedelta(days=settings.preference_link_days)
    token = signing.sign_link(
        secret=settings.link_secret,
        purpose=PREFERENCES,
        claims={"cmp": str(campaign_id), "c": str(contact_id)},
        ttl=ttl,
    )
    return page_url(settings, f"/p/{token}"), utcnow() + ttl


def read_preference(settings: ConsentSettings, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Return (campaign, contact) of a preference link; raise SignatureError if bad."""
    claims = signing.read_link(secret=settings.link_secret, purpose=PREFERENCES, token=token)
    try:
        return uuid.UUID(claims["cmp"]), uuid.UUID(claims["c"])
    except (KeyError, ValueError):
        raise signing.SignatureError("this link is not valid") from None


def unsubscribe_link(
    settings: ConsentSettings,
    *,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel: Channel,
    message_id: str,
) -> str:
    """Return the signed per-message unsubscribe URL."""
    token = signing.sign_link(
        secret=settings.link_secret,
        purpose=UNSUBSCRIBE,
        claims={"cmp": str(campaign_id), "c": str(contact_id), "ch": channel, "m": message_id},
        ttl=timedelta(days=settings.unsubscribe_link_days),
    )
    return page_url(settings, f"/u/{token}")


def read_unsubscribe(settings: ConsentSettings, token: str) -> UnsubscribeClaims:
    """Return what an unsubscribe link is about; raise SignatureError if bad."""
    claims = signing.read_link(secret=settings.link_secret, purpose=UNSUBSCRIBE, token=token)
    try:
        return UnsubscribeClaims(
            campaign_id=uuid.UUID(claims["cmp"]),
            contact_id=uuid.UUID(claims["c"]),
            channel=claims["ch"],
            message_id=str(claims["m"]),
        )
    except (KeyError, ValueError):
        raise signing.SignatureError("this link is not valid") from None


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """Return the RFC 2369 / RFC 8058 headers of an email carrying this link."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}
