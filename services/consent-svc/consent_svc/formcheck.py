"""Read a public form submission: the person's details and the boxes they ticked (R11)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from consent_svc import i18n
from consent_svc.schemas import BUNDLED
from consent_svc.voter import PHONE_CHANNELS, Person
from isoloir import identity

POSTAL = re.compile(r"^\d{5}$")
NAME_MAX = 100


@dataclass
class Checked:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    ticked: list[tuple[Any, str]] = field(default_factory=list)
    person: Person | None = None
    bundled: bool = False


def offered(content: dict[str, Any]) -> list[str]:
    """Return the checkbox values of a published form, one per (channel, purpose)."""
    return [f"{o['channel']}:{o['purpose']}" for o in content["offers"]]


def read_ticked(raw: Sequence[str], *, allowed: Sequence[str]) -> tuple[list[str], str | None]:
    """Return the ticked values, or the text key of why they are refused."""
    out: list[str] = []
    for value in raw:
        value = value.strip()
        bundled = (
            value.lower() in BUNDLED
            or value.count(":") != 1
            or any(sep in value for sep in ",;|+ *")
            or value.split(":", 1)[0].lower() in BUNDLED
            or value.split(":", 1)[1].lower() in BUNDLED
        )
        if bundled:
            return [], "bundled"
        if value not in allowed:
            return [], "not_offered"
        if value in out:
            return [], "bundled"
        out.append(value)
    return out, None


def check(form: Any, *, content: dict[str, Any], secret: str, lang: i18n.Lang) -> Checked:
    """Validate a submission; every problem is reported against its field."""
    t = i18n.texts(lang)
    result = Checked()
    for name in ("first_name", "last_name", "email", "phone", "postal_code"):
        result.values[name] = str(form.get(name) or "").strip()
    ticked, why = read_ticked([str(v) for v in form.getlist("consent")], allowed=offered(content))
    if why is not None:
        result.errors["consent"] = t[why]
        result.bundled = why == "bundled"
    elif not ticked:
        result.errors["consent"] = t["pick_one"]
    result.ticked = [tuple(v.split(":", 1)) for v in ticked]  # type: ignore[misc]
    channels = {channel for channel, _ in result.ticked}
    for name in ("first_name", "last_name"):
        if len(result.values[name]) > NAME_MAX:
            result.errors[name] = t["too_long"]
    email = phone = None
    if result.values["email"]:
        try:
            email = identity.normalise_email(result.values["email"])
        except identity.InvalidIdentifier:
            result.errors["email"] = t["bad_email"]
    elif "email" in channels:
        result.errors["email"] = t["need_email"]
    if result.values["phone"]:
        try:
            phone = identity.normalise_phone(result.values["phone"])
        except identity.InvalidIdentifier:
            result.errors["phone"] = t["bad_phone"]
    elif channels & PHONE_CHANNELS:
        result.errors["phone"] = t["need_phone"]
    postal = result.values["postal_code"]
    if postal and not POSTAL.match(postal):
        result.errors["postal_code"] = t["bad_postal"]
    if result.errors:
        return result
    result.person = Person(
        first_name=result.values["first_name"] or None,
        last_name=result.values["last_name"] or None,
        email=email,
        phone=phone,
        postal_code=postal or None,
        email_hash=identity.email_hash(secret=secret, email=email) if email else None,
        phone_hash=identity.phone_hash(secret=secret, phone=phone) if phone else None,
    )
    return result
