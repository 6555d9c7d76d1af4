"""Email and phone normalisation on the import hot path, identical to `isoloir.identity`.

Most addresses and numbers in campaign files are plain: a lower-case ASCII address, a French
number written 06 12 34 56 78 or +33 6 12 34 56 78. Those take a short path that gives exactly
what `isoloir.identity` gives (the tests compare both on tricky and generated inputs); anything
else goes through `isoloir.identity` itself.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES

from isoloir import identity

_PLAIN_EMAIL = re.compile(
    r"(?P<local>[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
_SPECIAL = tuple(SPECIAL_USE_DOMAIN_NAMES)
_SEPARATORS = re.compile(r"[\s.\-]")
_FRENCH = re.compile(r"(?:0|\+33|0033)([1-9]\d{8})")


def _plain_email(candidate: str) -> bool:
    match = _PLAIN_EMAIL.fullmatch(candidate)
    if match is None or len(candidate) > 254 or len(match["local"]) > 64:
        return False
    domain = match["domain"]
    if "--" in domain:  # punycode or the reserved "ab--" form: leave it to the full check
        return False
    return not any(domain == d or domain.endswith("." + d) for d in _SPECIAL)


def normalise_email(raw: str) -> str:
    """Return the address as `identity.normalise_email` does; raise InvalidIdentifier if bad."""
    candidate = raw.strip().lower()
    if _plain_email(candidate):
        return candidate
    return identity.normalise_email(raw)


def normalise_phone(raw: str) -> str:
    """Return the number in E.164 as `identity.normalise_phone` does; raise if invalid."""
    match = _FRENCH.fullmatch(_SEPARATORS.sub("", raw))
    if match is None:
        return identity.normalise_phone(raw)
    national = match[1]
    number = phonenumbers.PhoneNumber(country_code=33, national_number=int(national))
    if not phonenumbers.is_valid_number(number):
        raise identity.InvalidIdentifier("not a valid phone number")
    return f"+33{national}"
