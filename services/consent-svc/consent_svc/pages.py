"""What every voter page shares: templates, language, CSRF tokens, bot and rate checks.

CSRF: the page sets a random nonce in a cookie and embeds a signed token that carries the
same nonce, the page it belongs to, and when it was issued; a submission must return both
(double submit). The issue time doubles as the bot filter's minimum fill time, together with
a honeypot field that people never see.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from consent_svc import i18n, metrics, ratelimit
from consent_svc.config import ConsentSettings
from isoloir import signing
from isoloir.db import utcnow
from isoloir.service import Kernel

CSRF_COOKIE = "consent_csrf"
CSRF_PURPOSE = "consent.csrf"
HONEYPOT = "website"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
CSS = (Path(__file__).parent / "static" / "page.css").read_text()
SECURITY_HEADERS = {
    # No third-party asset may load, no script at all, no framing.
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PageError(Exception):
    """A refusal shown to the person as a page (status and a text key)."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def lang_of(request: Request) -> i18n.Lang:
    """Return the page language: French unless ?lang=en."""
    return "en" if request.query_params.get("lang") == "en" else "fr"


def settings_of(request: Request) -> ConsentSettings:
    settings = request.app.state.kernel.settings
    assert isinstance(settings, ConsentSettings)
    return settings


def kernel_of(request: Request) -> Kernel:
    kernel: Kernel = request.app.state.kernel
    return kernel


def client_ip(request: Request) -> str:
    """Return the client's IP (from X-Forwarded-For only behind a trusted proxy)."""
    if settings_of(request).trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded.strip():
            return forwarded.split(",")[0].strip()[:64]
    return (request.client.host if request.client else "unknown")[:64]


def user_agent(request: Request) -> str | None:
    agent = request.headers.get("user-agent")
    return agent[:500] if agent else None


async def limit(request: Request, scope: str) -> None:
    """Refuse with 429 past the per-IP rate of this page kind (counted in the database)."""
    kernel = kernel_of(request)
    settings = settings_of(request)
    allowed = await ratelimit.hit(
        kernel.sessionmaker,
        secret=settings.party_secret,
        scope=scope,
        client_ip=client_ip(request),
        limit=settings.rate_limit_per_minute,
        now=utcnow(),
    )
    if not allowed:
        metrics.of(kernel).pages_refused.labels(scope, "rate_limited").inc()
        raise PageError(429, "too_many")


def csrf_nonce(request: Request) -> str:
    """Return the cookie's nonce, or a new one (kept across tabs)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if _NONCE.match(current) else secrets.token_urlsafe(24)


def csrf_token(
    settings: ConsentSettings, *, nonce: str, page: str, subject: str, **extra: Any
) -> str:
    """Return the signed token a page embeds in its form."""
    claims = {"n": nonce, "pg": page, "s": subject, "t": time.time(), **extra}
    return signing.sign_link(
        secret=settings.link_secret,
        purpose=CSRF_PURPOSE,
        claims=claims,
        ttl=timedelta(minutes=settings.form_token_max_age_minutes),
    )


def check_csrf(
    request: Request, *, token: str, page: str, subject: str, min_fill: float = 0.0
) -> dict[str, Any]:
    """Return the token's claims, or refuse: forged, expired, other page, cookie mismatch."""
    settings = settings_of(request)
    try:
        claims = signing.read_link(secret=settings.link_secret, purpose=CSRF_PURPOSE, token=token)
    except signing.SignatureError:
        raise PageError(403, "expired_form") from None
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(str(claims.get("n", "")), cookie):
        raise PageError(403, "expired_form")
    if claims.get("pg") != page or claims.get("s") != subject:
        raise PageError(403, "expired_form")
    if time.time() - float(claims.get("t", 0)) < min_fill:
        raise PageError(400, "robot")
    return claims


def render(
    request: Request,
    template: str,
    *,
    lang: i18n.Lang,
    status: int = 200,
    nonce: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a voter page with its security headers (and the CSRF cookie when given)."""
    switch = "fr" if lang == "en" else "en"
    html = _ENV.get_template(template).render(
        t=i18n.texts(lang), lang=lang, css=CSS, switch_url=f"?lang={switch}", **context
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if nonce is not None:
        secure = settings_of(request).public_base_url.startswith("https://")
        response.set_cookie(
            CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=secure, path="/"
        )
    return response


def error_page(request: Request, error: PageError, *, lang: i18n.Lang) -> HTMLResponse:
    """Render a refusal as a page."""
    return render(request, "error.html", lang=lang, status=error.status, message_key=error.key)


async def acknowledge(kernel: Kernel, events: list[Any]) -> bool:
    """Wait until these opt-out events have left for the broker; False if not in time (I1)."""
    if not events:
        return True
    settings = kernel.settings
    assert isinstance(settings, ConsentSettings)
    started = time.perf_counter()
    try:
        await kernel.relay.wait_published(
            [e.event_id for e in events], timeout=settings.ack_timeout_seconds
        )
    except TimeoutError:
        metrics.of(kernel).optout_ack_pending.inc()
        return False
    metrics.of(kernel).optout_ack.observe(time.perf_counter() - started)
    return True
