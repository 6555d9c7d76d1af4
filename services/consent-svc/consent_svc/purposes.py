"""Purposes of a campaign, the reserved one, and call-window checks."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from consent_svc import repository
from consent_svc.models import Purpose
from isoloir import problems
from isoloir.events.consent import CallWindow

REUSE_KEY = "official_campaign_reuse"


@dataclass(frozen=True)
class PurposeView:
    key: str
    label_fr: str
    label_en: str
    description_fr: str
    description_en: str
    built_in: bool


REUSE = PurposeView(
    key=REUSE_KEY,
    label_fr="Réutilisation pour la campagne officielle",
    label_en="Reuse for the official campaign",
    description_fr=(
        "Vos coordonnées recueillies pour la primaire pourront être utilisées pour la "
        "campagne officielle du candidat ou de la candidate désigné(e)."
    ),
    description_en=(
        "Your details collected for the primary election may be used for the official "
        "campaign of the designated candidate."
    ),
    built_in=True,
)


def view(purpose: Purpose) -> PurposeView:
    """Return a stored purpose as shown to staff and voters."""
    return PurposeView(
        key=purpose.key,
        label_fr=purpose.label_fr,
        label_en=purpose.label_en,
        description_fr=purpose.description_fr,
        description_en=purpose.description_en,
        built_in=False,
    )


async def all_of(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[PurposeView]:
    """Return the campaign's purposes, the reserved one included."""
    own = await repository.purposes(session, campaign_id=campaign_id)
    return [REUSE, *(view(p) for p in own)]


async def find(session: AsyncSession, *, campaign_id: uuid.UUID, key: str) -> PurposeView | None:
    """Return one purpose of the campaign (the reserved one included)."""
    if key == REUSE_KEY:
        return REUSE
    found = await repository.purpose(session, campaign_id=campaign_id, key=key)
    return view(found) if found else None


async def require(
    session: AsyncSession, *, campaign_id: uuid.UUID, key: str, field: str
) -> PurposeView:
    """Return the purpose or refuse with a 422 naming the field."""
    found = await find(session, campaign_id=campaign_id, key=key)
    if found is None:
        raise problems.field_error(field, f"no purpose '{key}' is defined for this campaign")
    return found


def validate_call_window(window: CallWindow, *, field: str) -> None:
    """Refuse a call window that announces nothing precise (R16)."""
    errors = []
    if not window.weekdays or any(d < 1 or d > 7 for d in window.weekdays):
        errors.append(problems.FieldError(field=f"{field}.weekdays", reason="ISO weekdays 1-7"))
    elif len(set(window.weekdays)) != len(window.weekdays):
        errors.append(problems.FieldError(field=f"{field}.weekdays", reason="repeated weekday"))
    if window.start >= window.end:
        errors.append(problems.FieldError(field=f"{field}.end", reason="must be after start"))
    try:
        zoneinfo.ZoneInfo(window.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(problems.FieldError(field=f"{field}.timezone", reason="unknown time zone"))
    if errors:
        raise problems.Unprocessable(
            "the call window is not precise: " + "; ".join(e.reason for e in errors),
            errors=errors,
        )
