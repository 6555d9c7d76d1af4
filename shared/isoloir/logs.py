"""Structured JSON logs that never carry personal data.

Two defences: code logs ids, never contact fields; and a filter scrubs anything shaped like
an email address or a phone number, and drops extra fields whose names denote personal data
(names, addresses, emails, phones), before a record is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Phone numbers as people write them: international (+33 6 12 34 56 78, 0033…) or French
# national (06 12 34 56 78, 0612345678, 06.12.34.56.78). Dates and times do not match.
PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{1,3}[\s.-]?\(?\d\)?(?:[\s.-]?\d){6,12}"
    r"|0[1-9](?:[\s.-]?\d{2}){4})(?!\d)"
)
PERSONAL_KEYS = frozenset(
    {
        "email",
        "phone",
        "first_name",
        "last_name",
        "name",
        "full_name",
        "address",
        "street",
        "postal_address",
        "birth_date",
        "ip",
        "ip_address",
        "user_agent",
        "password",
        "token",
    }
)
REDACTED = "[redacted]"

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


def scrub(text: str) -> str:
    """Replace email addresses and phone numbers in text."""
    return PHONE_RE.sub(REDACTED, EMAIL_RE.sub(REDACTED, text))


def _scrub_value(key: str, value: Any) -> Any:
    if key.lower() in PERSONAL_KEYS:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_scrub_value("", v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line, personal data scrubbed."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                out[key] = _scrub_value(key, value)
        if record.exc_info:
            out["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


class Throttle(logging.Filter):
    """Let one record per (logger, message template) through per interval, counting the rest.

    Client libraries repeat the same connection error many times a second while a broker is
    away; one line per interval, with how many were held back, says the same.
    """

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        seen = self._last.get(key)
        if seen is None:
            self._last[key] = (record.created, 0)
            return True
        last, held = seen
        if record.created - last < self.interval:
            self._last[key] = (last, held + 1)
            return False
        if held:
            record.suppressed = held
        self._last[key] = (record.created, 0)
        return True


def configure(service: str, level: str = "INFO") -> None:
    """Send every log record of the process to stderr as scrubbed JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_isoloir", False):
            root.removeHandler(existing)
    handler._isoloir = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Uvicorn's access log prints raw paths, which may carry signed tokens: we log
    # requests ourselves with route templates.
    logging.getLogger("uvicorn.access").disabled = True
    kafka_log = logging.getLogger("aiokafka")
    kafka_log.setLevel(logging.ERROR)
    if not any(isinstance(f, Throttle) for f in kafka_log.filters):
        kafka_log.addFilter(Throttle())
