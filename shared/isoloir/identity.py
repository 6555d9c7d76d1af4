"""How an email address or a phone number is normalised and hashed, the same in every service.

The opposition list and rights requests match people by these keyed hashes (HMAC-SHA256 with
the party secret), so no service needs another's plaintext to recognise someone.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from isoloir.signing import keyed_hash

DEFAULT_REGION = "FR"


class InvalidIdentifier(ValueError):
    """An email address or phone number that cannot be normalised; the message says why."""


def normalise_email(raw: str) -> str:
    """Return the address lower-cased and validated (syntax only, no DNS lookup)."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentifier(f"not a valid email address: {exc}") from None
    return result.normalized.lower()


def normalise_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164 (national numbers read as French by default)."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_hash(*, secret: str, email: str) -> str:
    """Keyed hash of an already normalised email address."""
    return keyed_hash(secret=secret, value=f"email:{email}")


def phone_hash(*, secret: str, phone: str) -> str:
    """Keyed hash of an already normalised (E.164) phone number."""
    return keyed_hash(secret=secret, value=f"phone:{phone}")
