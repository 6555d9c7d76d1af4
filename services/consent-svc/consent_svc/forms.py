"""Consent forms: definitions, the R3 notices they must carry, and publication."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from consent_svc import purposes, repository
from consent_svc.models import Form, FormVersion
from consent_svc.schemas import PURPOSE_KEY, Strict, refuse_bundles
from isoloir import problems
from isoloir.events.consent import CallWindow, Channel
from isoloir.problems import FieldError

Lang = Literal["fr", "en"]
NOTICES: dict[str, dict[str, str]] = {
    "controller_identity": {"fr": "Responsable du traitement", "en": "Data controller"},
    "purposes_notice": {"fr": "Finalités", "en": "Purposes"},
    "retention": {"fr": "Durée de conservation", "en": "Retention"},
    "rights": {"fr": "Vos droits", "en": "Your rights"},
    "data_origin": {"fr": "Origine des données", "en": "Where your data comes from"},
}
CHANNEL_LABELS = {
    "email": {"fr": "par e-mail", "en": "by email"},
    "sms": {"fr": "par SMS", "en": "by text message"},
    "phone": {"fr": "par téléphone", "en": "by phone"},
    "automated_call": {"fr": "par appel automatisé", "en": "by automated call"},
    "post": {"fr": "par courrier", "en": "by post"},
}
WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


class Localised(Strict):
    fr: str | None = Field(default=None, max_length=5000)
    en: str | None = Field(default=None, max_length=5000)

    def text(self, lang: Lang) -> str:
        return ((self.en if lang == "en" else None) or self.fr or "").strip()


class Offer(Strict):
    """One checkbox: one channel for one purpose."""

    channel: Channel
    purpose: str = Field(pattern=PURPOSE_KEY)
    default_checked: bool = Field(default=False, description="Must stay false (R11).")

    _one_channel = field_validator("channel", mode="before")(lambda v: refuse_bundles(v, "channel"))
    _one_purpose = field_validator("purpose", mode="before")(lambda v: refuse_bundles(v, "purpose"))


class FormDefinition(Strict):
    """What a campaign's consent form says and offers; notices may be missing in a draft."""

    name: str = Field(min_length=1, max_length=200)
    title: Localised | None = None
    controller_identity: Localised | None = None
    purposes_notice: Localised | None = None
    retention: Localised | None = None
    rights: Localised | None = None
    rights_address: EmailStr | None = None
    collection: Literal["direct", "indirect"] = "direct"
    data_origin: Localised | None = None
    offers: list[Offer] = Field(default_factory=list, max_length=20)
    contact_kind: Literal["occasional", "regular"] = "regular"
    call_window: CallWindow | None = None


class FormPublic(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    definition: FormDefinition
    current_version: int | None
    closed: bool
    public_url: str
    created_at: datetime
    updated_at: datetime


class FormVersionPublic(BaseModel):
    form_id: uuid.UUID
    version: int
    content: dict[str, Any]
    notice_fr_sha256: str
    notice_en_sha256: str
    published_at: datetime


async def check_definition(
    session: AsyncSession, *, campaign_id: uuid.UUID, definition: FormDefinition
) -> None:
    """Refuse a definition that breaks a rule whatever its notices (R11, R16)."""
    seen = set()
    for i, offer in enumerate(definition.offers):
        field = f"offers.{i}"
        if offer.default_checked:
            raise problems.ComplianceRefusal(
                "a consent checkbox is never ticked in advance",
                rule="R11",
                errors=[FieldError(field=f"{field}.default_checked", reason="must be false")],
            )
        if offer.channel == "post":
            raise problems.field_error(
                f"{field}.channel",
                "a web form collects no postal address: record post "
                "consents from paper forms through the ledger API",
            )
        if (offer.channel, offer.purpose) in seen:
            raise problems.field_error(field, "this (channel, purpose) is offered twice")
        seen.add((offer.channel, offer.purpose))
        await purposes.require(
            session, campaign_id=campaign_id, key=offer.purpose, field=f"{field}.purpose"
        )
    if definition.call_window is not None:
        purposes.validate_call_window(definition.call_window, field="call_window")


def missing_notices(definition: FormDefinition) -> list[FieldError]:
    """Return one error per notice the form must carry before it is published (R3)."""
    missing = []
    reasons = {
        "controller_identity": "the identity of the data controller is missing",
        "purposes_notice": "the purposes of the processing are missing",
        "retention": "the retention period is missing",
        "rights": "the statement of the person's rights is missing",
    }
    for name, reason in reasons.items():
        value: Localised | None = getattr(definition, name)
        if value is None or not (value.fr or "").strip():
            missing.append(FieldError(field=name, reason=f"{reason} (French text required)"))
    if not definition.rights_address:
        missing.append(
            FieldError(
                field="rights_address",
                reason="the dedicated address for rights requests is missing",
            )
        )
    if definition.collection == "indirect" and (
        definition.data_origin is None or not (definition.data_origin.fr or "").strip()
    ):
        missing.append(
            FieldError(
                field="data_origin", reason="data collected indirectly: its origin must be stated"
            )
        )
    if not definition.offers:
        missing.append(FieldError(field="offers", reason="no (channel, purpose) is offered"))
    if any(o.channel == "automated_call" for o in definition.offers) and not definition.call_window:
        missing.append(
            FieldError(
                field="call_window",
                reason="automated calls are offered: the time "
                "window of the calls must be announced (R16)",
            )
        )
    return missing


def window_text(window: dict[str, Any], lang: Lang) -> str:
    """Return the announced call window in words."""
    days = ", ".join(WEEKDAYS[lang][d - 1] for d in window["weekdays"])
    start, end = window["start"][:5], window["end"][:5]
    if lang == "en":
        return f"{days}, between {start} and {end} ({window['timezone']})"
    return f"{days}, entre {start} et {end} ({window['timezone']})"


def offer_label(content: dict[str, Any], offer: dict[str, Any], lang: Lang) -> str:
    """Return the label of one checkbox as the person reads it."""
    purpose = content["purposes"][offer["purpose"]]
    channel = CHANNEL_LABELS[offer["channel"]][lang]
    verb = "I agree to be contacted" if lang == "en" else "J'accepte d'être contacté(e)"
    label = f"{verb} {channel} : {purpose[f'label_{lang}']}"
    if offer["channel"] == "automated_call" and content.get("call_window"):
        label += f" ({window_text(content['call_window'], lang)})"
    return label


def sections(content: dict[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """Return the notice as shown, heading by heading; its text is what entries reference."""
    out = []
    for name, headings in NOTICES.items():
        value = content.get(name)
        if value is None:
            continue
        body = Localised.model_validate(value).text(lang)
        if body:
            out.append((headings[lang], body))
    address_heading = "Exercer vos droits" if lang == "fr" else "To exercise your rights"
    out.append((address_heading, str(content["rights_address"])))
    offered = "\n".join(f"- {offer_label(content, o, lang)}" for o in content["offers"])
    out.append(("Consentements proposés" if lang == "fr" else "Consents offered", offered))
    return out


def notice_text(content: dict[str, Any], lang: Lang) -> str:
    """Return the exact notice text of a published version in one language."""
    return "\n\n".join(f"{h}\n{b}" for h, b in sections(content, lang))


async def publish(session: AsyncSession, *, form: Form, now: datetime) -> FormVersion:
    """Freeze the draft as a new version, or refuse with every missing notice (R3)."""
    definition = FormDefinition.model_validate(form.draft)
    await check_definition(session, campaign_id=form.campaign_id, definition=definition)
    missing = missing_notices(definition)
    if missing:
        raise problems.ComplianceRefusal(
            f"the form cannot be published: {len(missing)} required notice(s) missing",
            rule="R3",
            errors=missing,
        )
    content = definition.model_dump(mode="json")
    content["purposes"] = {}
    for offer in definition.offers:
        view = await purposes.require(
            session, campaign_id=form.campaign_id, key=offer.purpose, field="offers"
        )
        content["purposes"][offer.purpose] = {
            "label_fr": view.label_fr,
            "label_en": view.label_en,
            "description_fr": view.description_fr,
            "description_en": view.description_en,
        }
    digests = {}
    for lang in ("fr", "en"):
        digests[lang] = await repository.store_notice(
            session, campaign_id=form.campaign_id, text=notice_text(content, lang), now=now
        )
    version = FormVersion(
        form_id=form.id,
        version=(form.current_version or 0) + 1,
        campaign_id=form.campaign_id,
        content=content,
        notice_fr_sha256=digests["fr"],
        notice_en_sha256=digests["en"],
        published_at=now,
    )
    session.add(version)
    form.current_version = version.version
    form.closed = False
    form.updated_at = now
    return version
