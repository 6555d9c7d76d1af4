"""The allow-list of contact fields and how each raw value is normalised (R10).

One function reads a contact's values whether they come from the API (typed JSON), a CSV row
(strings) or a form submission, so every entry point applies exactly the same checks. Nothing
outside `FIELDS` can be stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from contacts_svc import identifiers, sensitive
from contacts_svc.rules import FieldProblem
from isoloir import identity, signing

FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postal_address",
    "polling_station",
    "birth_year",
    "sex",
    "tags",
    "interests",
    "notes",
    "support_level",
)
HASHES = ("email_hash", "phone_hash", "person_hash")
_MAX_LENGTH = {
    "first_name": 100,
    "last_name": 100,
    "postal_address": 500,
    "polling_station": 20,
    "notes": 2000,
}
_SEX = {
    **dict.fromkeys(("f", "femme", "female", "mme", "mme.", "madame", "mrs", "ms"), "F"),
    **dict.fromkeys(("m", "h", "homme", "male", "m.", "monsieur", "mr", "mr."), "M"),
}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_LIST_SPLIT = re.compile(r"[,|;]")
_STATION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_./ -]{0,19}$")
MAX_TAGS = 30
MAX_TAG_LENGTH = 60
MIN_AGE = 15


@dataclass(slots=True)
class ContactValues:
    """Normalised values of the allow-listed fields; hashes derive from email and phone."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    polling_station: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    tags: list[str] | None = None
    interests: list[str] | None = None
    notes: str | None = None
    support_level: int | None = None
    email_hash: str | None = field(default=None)
    phone_hash: str | None = field(default=None)
    person_hash: str | None = field(default=None)

    def present(self) -> set[str]:
        """Return the names of the fields that hold a value."""
        return {name for name in FIELDS if getattr(self, name) not in (None, [])}

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _text(name: str, value: Any, problems: list[FieldProblem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(name, "must be text"))
        return None
    text = " ".join(value.split())
    if not text:
        return None
    limit = _MAX_LENGTH.get(name)
    if limit and len(text) > limit:
        problems.append(FieldProblem(name, f"is longer than {limit} characters"))
        return None
    return text


def _int(name: str, value: Any, problems: list[FieldProblem]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems.append(FieldProblem(name, "must be a whole number"))
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        problems.append(FieldProblem(name, "must be a whole number"))
        return None


def _year(value: Any, problems: list[FieldProblem]) -> int | None:
    # Files often give a birth date: only its year is kept (data minimisation).
    if isinstance(value, str) and not value.strip().isdigit() and value.strip():
        found = _YEAR.findall(value)
        if len(found) != 1:
            problems.append(FieldProblem("birth_year", "must be a year or a date with a year"))
            return None
        return int(found[0])
    return _int("birth_year", value, problems)


def _list(name: str, value: Any, problems: list[FieldProblem]) -> list[str] | None:
    if value is None:
        return None
    items = _LIST_SPLIT.split(value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        problems.append(FieldProblem(name, "must be a list of words"))
        return None
    cleaned = sorted({" ".join(i.split()) for i in items} - {""})
    if len(cleaned) > MAX_TAGS or any(len(i) > MAX_TAG_LENGTH for i in cleaned):
        problems.append(
            FieldProblem(name, f"holds at most {MAX_TAGS} items of {MAX_TAG_LENGTH} characters")
        )
        return None
    for position, item in enumerate(cleaned):
        finding = sensitive.find(item)
        if finding:
            problems.append(FieldProblem(f"{name}[{position}]", finding.reason(), "R10"))
            return None
    return cleaned or None


def read_values(
    raw: Mapping[str, Any], *, secret: str, current_year: int
) -> tuple[ContactValues, list[FieldProblem]]:
    """Normalise raw values of the allow-listed fields; return them with every problem found."""
    problems: list[FieldProblem] = []
    for name in raw:
        if name not in FIELDS:
            finding = sensitive.find(name)
            reason = finding.reason() if finding else "is not a contact field"
            problems.append(FieldProblem(name, reason, "R10"))
    out = ContactValues()
    for name in ("first_name", "last_name", "postal_address", "notes"):
        setattr(out, name, _text(name, raw.get(name), problems))
    if out.notes:
        finding = sensitive.find(out.notes)
        if finding:
            problems.append(FieldProblem("notes", finding.reason(), "R10"))
            out.notes = None
    email = _text("email", raw.get("email"), problems)
    if email:
        try:
            out.email = identifiers.normalise_email(email)
            out.email_hash = identity.email_hash(secret=secret, email=out.email)
        except identity.InvalidIdentifier as exc:
            problems.append(FieldProblem("email", str(exc)))
    phone = _text("phone", raw.get("phone"), problems)
    if phone:
        try:
            out.phone = identifiers.normalise_phone(phone)
            out.phone_hash = identity.phone_hash(secret=secret, phone=out.phone)
        except identity.InvalidIdentifier as exc:
            problems.append(FieldProblem("phone", str(exc)))
    station = _text("polling_station", raw.get("polling_station"), problems)
    if station:
        if _STATION.match(station):
            out.polling_station = station.upper()
        else:
            problems.append(FieldProblem("polling_station", "is not a polling station code"))
    year = _year(raw.get("birth_year"), problems)
    if year is not None:
        if 1900 <= year <= current_year - MIN_AGE:
            out.birth_year = year
        else:
            problems.append(
                FieldProblem("birth_year", f"must be between 1900 and {current_year - MIN_AGE}")
            )
    sex = _text("sex", raw.get("sex"), problems)
    if sex:
        out.sex = _SEX.get(sex.lower())
        if out.sex is None:
            problems.append(FieldProblem("sex", "must be F or M, as on the electoral list"))
    out.tags = _list("tags", raw.get("tags"), problems)
    out.interests = _list("interests", raw.get("interests"), problems)
    level = _int("support_level", raw.get("support_level"), problems)
    if level is not None:
        if 1 <= level <= 5:
            out.support_level = level
        else:
            problems.append(FieldProblem("support_level", "must be between 1 and 5"))
    out.person_hash = person_hash(out, secret=secret)
    return out, problems


def person_hash(values: ContactValues, *, secret: str) -> str | None:
    """Return the duplicate key of a person known by neither email nor phone, if one is possible."""
    if values.email or values.phone or not (values.last_name and values.first_name):
        return None
    if values.birth_year is None and not values.postal_address:
        return None
    parts = (values.last_name, values.first_name, values.birth_year, values.postal_address)
    key = "|".join(sensitive.normalise(str(p)) if p is not None else "" for p in parts)
    return signing.keyed_hash(secret=secret, value=f"person:{key}")
