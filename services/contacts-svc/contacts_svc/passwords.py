"""Staff passwords (R7): argon2 hashes and a strength policy.

The policy is a minimum length plus zxcvbn's estimate, whose dictionaries include the most
common passwords: a password found there, or too easy to guess, is refused with the reason.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline attacks"
MAX_LENGTH = 256

_hasher = PasswordHasher()
# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("no account has this password, it only burns time")


def weakness(password: str, *, min_length: int, context: list[str]) -> str | None:
    """Return why a password is too weak, or None when it is acceptable."""
    if len(password) < min_length:
        return f"must be at least {min_length} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    result = zxcvbn(password, user_inputs=[c for c in context if c])
    for match in result["sequence"]:
        if match.get("dictionary_name") == "passwords" and len(match["token"]) >= len(password) - 2:
            return "is one of the most common passwords"
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        return f"is too weak: {hint.rstrip('.').lower()}; add words or length"
    return None


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Tell whether the password matches; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
