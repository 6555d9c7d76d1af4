"""A local mail catcher for development: `isoloir up` runs it beside the services.

An SMTP server stores every message it receives as one .eml file under `data_dir/mail/`,
with the envelope (MAIL FROM, every RCPT TO) added as headers, and a small web app shows
them: HTML pages without JavaScript, and a JSON API for tests. Nothing is ever relayed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from isoloir import problems
from isoloir_cli import devserver

DEFAULT_SMTP_PORT = 8026
DEFAULT_HTTP_PORT = 8025
MAIL_DIR = "mail"
ENVELOPE_TO_HEADER = "X-Isoloir-Envelope-To"
ENVELOPE_FROM_HEADER = "X-Isoloir-Envelope-From"
_ID = re.compile(r"\d{20}-[0-9a-f]{32}")

log = logging.getLogger("isoloir.mailcatcher")


class MailStore:
    """The captured messages, one .eml file each, named so that names sort by arrival."""

    def __init__(self, *, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def save(self, *, content: bytes, envelope_from: str, envelope_to: Sequence[str]) -> str:
        """Store one message with its envelope; return its id."""
        message_id = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        envelope = (
            f"{ENVELOPE_TO_HEADER}: {', '.join(envelope_to)}\r\n"
            f"{ENVELOPE_FROM_HEADER}: {envelope_from or '<>'}\r\n"
        )
        # Written aside then renamed, so a reader never sees half a message.
        partial = self.directory / f".{message_id}.partial"
        partial.write_bytes(envelope.encode() + content)
        partial.replace(self.directory / f"{message_id}.eml")
        return message_id

    def ids(self) -> list[str]:
        """Return the ids of the stored messages, newest first."""
        names = (path.stem for path in self.directory.glob("*.eml"))
        return sorted((name for name in names if _ID.fullmatch(name)), reverse=True)

    def read(self, *, message_id: str) -> bytes | None:
        """Return a message's raw bytes, or None if there is no such message."""
        if not _ID.fullmatch(message_id):
            return None
        try:
            return (self.directory / f"{message_id}.eml").read_bytes()
        except FileNotFoundError:
            return None

    def clear(self) -> int:
        """Delete every stored message; return how many there were."""
        paths = list(self.directory.glob("*.eml"))
        for path in paths:
            path.unlink(missing_ok=True)
        return len(paths)


def describe(*, message_id: str, raw: bytes, full: bool = True) -> dict[str, Any]:
    """Return a message's envelope and main headers, and with `full` its bodies and parts."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    headers = _headers(msg)
    first = {name.lower(): value for name, value in reversed(headers)}
    envelope_to = first.get(ENVELOPE_TO_HEADER.lower(), "").split(",")
    out: dict[str, Any] = {
        "id": message_id,
        "received_at": datetime.fromtimestamp(int(message_id[:20]) / 1e9, UTC).isoformat(),
        "date": first.get("date", ""),
        "from": first.get("from", ""),
        "to": first.get("to", ""),
        "subject": first.get("subject", ""),
        "envelope_from": first.get(ENVELOPE_FROM_HEADER.lower(), ""),
        "envelope_to": [address.strip() for address in envelope_to if address.strip()],
        "size": len(raw),
    }
    if full:
        text, html = msg.get_body(("plain",)), msg.get_body(("html",))
        out |= {
            "cc": first.get("cc", ""),
            "list_unsubscribe": first.get("list-unsubscribe", ""),
            "list_unsubscribe_post": first.get("list-unsubscribe-post", ""),
            "headers": [{"name": name, "value": value} for name, value in headers],
            "text": _content(text) if text is not None else None,
            "html": _content(html) if html is not None else None,
            "parts": [_part(part) for part in msg.walk() if not part.is_multipart()],
        }
    return out


def _headers(msg: EmailMessage) -> list[tuple[str, str]]:
    out = []
    for name, raw in msg.raw_items():
        try:
            value = str(msg.policy.header_fetch_parse(name, raw))
        except Exception:  # a malformed header must not hide the message
            value = str(raw)
        out.append((name, value))
    return out


def _content(part: MIMEPart) -> str | None:
    if part.get_content_maintype() != "text":
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def _part(part: MIMEPart) -> dict[str, Any]:
    payload = part.get_payload(decode=True)
    return {
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "size": len(payload) if isinstance(payload, bytes) else 0,
        "content": _content(part),
    }


router = APIRouter()


def _store(request: Request) -> MailStore:
    store: MailStore = request.app.state.mail_store
    return store


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    html = request.app.state.templates.get_template(template).render(**context)
    return HTMLResponse(html, headers=devserver.PAGE_HEADERS)


def _found(request: Request, message_id: str) -> bytes:
    raw = _store(request).read(message_id=message_id)
    if raw is None:
        raise problems.NotFound("no captured message has this id")
    return raw


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Tell that the process is alive."""
    return {"status": "ok"}


@router.get("/api/messages")
def list_messages(request: Request) -> list[dict[str, Any]]:
    """List the captured messages, newest first."""
    store = _store(request)
    found = ((mid, store.read(message_id=mid)) for mid in store.ids())
    return [describe(message_id=mid, raw=raw, full=False) for mid, raw in found if raw]


@router.get("/api/messages/{message_id}", responses=problems.responses(problems.NotFound))
def get_message(request: Request, message_id: str) -> dict[str, Any]:
    """Show one message: envelope, headers, text and HTML bodies, parts."""
    return describe(message_id=message_id, raw=_found(request, message_id))


@router.delete("/api/messages")
def delete_messages(request: Request) -> dict[str, int]:
    """Delete every captured message."""
    return {"deleted": _store(request).clear()}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index_page(request: Request) -> HTMLResponse:
    """Show the captured messages."""
    return _page(request, "mail_index.html", messages=list_messages(request))


@router.get("/messages/{message_id}", response_class=HTMLResponse, include_in_schema=False)
def message_page(request: Request, message_id: str) -> HTMLResponse:
    """Show one message; its HTML body is rendered in a sandbox that runs no script."""
    message = describe(message_id=message_id, raw=_found(request, message_id))
    return _page(request, "mail_message.html", message=message)


@router.get("/messages/{message_id}/raw", include_in_schema=False)
def raw_message(request: Request, message_id: str) -> Response:
    """Serve one message as the .eml file it was stored as."""
    disposition = f'attachment; filename="{message_id}.eml"'
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(_found(request, message_id), media_type="message/rfc822", headers=headers)


@router.post("/messages/delete", include_in_schema=False)
def delete_page(request: Request) -> RedirectResponse:
    """Delete every captured message from the page's form, then show the empty list."""
    _store(request).clear()
    return RedirectResponse("/", status_code=303)


def create_app(*, mail_dir: Path) -> FastAPI:
    """Build the web app that shows the messages stored in mail_dir."""
    app = FastAPI(title="Isoloir mail catcher", docs_url=None, redoc_url=None)
    app.state.mail_store = MailStore(directory=mail_dir)
    app.state.templates = devserver.templates()
    problems.install(app)
    app.include_router(router)
    return app


class _CaptureHandler:
    """The aiosmtpd handler that stores each message."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message_id = await asyncio.to_thread(
            self.store.save,
            content=raw,
            envelope_from=envelope.mail_from or "",
            envelope_to=list(envelope.rcpt_tos),
        )
        log.info(
            "mail captured", extra={"mail_id": message_id, "recipients": len(envelope.rcpt_tos)}
        )
        return "250 Message captured"


async def start_smtp(*, store: MailStore, host: str, port: int) -> asyncio.Server:
    """Listen for SMTP on host:port and store every message received."""
    # aiosmtpd logs every command, addresses included, at INFO: personal data stays out.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    handler = _CaptureHandler(store)
    return await loop.create_server(
        lambda: SMTP(handler, hostname="isoloir-mailcatcher", enable_SMTPUTF8=True, loop=loop),
        host=host,
        port=port,
    )


async def serve(
    *,
    data_dir: Path,
    smtp_port: int = DEFAULT_SMTP_PORT,
    http_port: int = DEFAULT_HTTP_PORT,
    host: str = "127.0.0.1",
) -> None:
    """Capture mail over SMTP and show it over HTTP until cancelled."""
    mail_dir = data_dir / MAIL_DIR
    app = create_app(mail_dir=mail_dir)
    smtp = await start_smtp(store=app.state.mail_store, host=host, port=smtp_port)
    try:
        log.info("mail catcher listening", extra={"smtp_port": smtp_port, "http_port": http_port})
        await devserver.run_http(app=app, host=host, port=http_port)
    finally:
        smtp.close()
        await smtp.wait_closed()
