"""A local SMS and automated-call operator for development, run by `isoloir up`.

Its HTTP API answers like a real operator's (bearer API key, 202 on acceptance, problem+json
on errors); outcomes and inbound replies reach the platform through a signed webhook (see
`smsnetwork`). A page lists everything and injects inbound replies. State lives in memory.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any
from urllib import parse

import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from isoloir import problems
from isoloir_cli import devserver, smsnetwork
from isoloir_cli.smsnetwork import Network, Record

DEFAULT_PORT = 8020
FORM_TYPE = "application/x-www-form-urlencoded"
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_SENDER_ID = re.compile(r"[A-Za-z0-9 .-]{1,11}")

log = logging.getLogger("isoloir.smsgateway")


def _phone(value: str) -> str:
    if not _E164.fullmatch(value):
        raise PydanticCustomError("phone", "must be an E.164 number such as +33612345678")
    return value


def _sender(value: str) -> str:
    if not (_SENDER_ID.fullmatch(value) or _E164.fullmatch(value)):
        raise PydanticCustomError("sender", "must be 1-11 letters or digits, or an E.164 number")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
Sender = Annotated[str, AfterValidator(_sender)]
SmsText = Annotated[str, StringConstraints(max_length=1600), AfterValidator(_not_blank)]
ClientRef = Annotated[str | None, StringConstraints(max_length=128)]


class MessageIn(BaseModel):
    """An SMS to send."""

    model_config = ConfigDict(extra="forbid")
    to: Phone
    body: SmsText
    sender: Sender = "Isoloir"
    client_ref: ClientRef = None


class CallIn(BaseModel):
    """An automated voice call to place; the script is read by text-to-speech."""

    model_config = ConfigDict(extra="forbid")
    to: Phone
    script: Annotated[str, StringConstraints(max_length=5000), AfterValidator(_not_blank)]
    client_ref: ClientRef = None


class InboundIn(BaseModel):
    """A reply a phone sends to one of the platform's senders."""

    model_config = ConfigDict(extra="forbid")
    from_: Phone = Field(alias="from")
    to: Sender
    body: SmsText


def _network(request: Request) -> Network:
    network: Network = request.app.state.network
    return network


NetworkDep = Annotated[Network, Depends(_network)]


def _authorize(network: NetworkDep, authorization: str | None = Header(default=None)) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    expected = network.api_key.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise problems.Unauthorized("send the API key as Authorization: Bearer <key>")


router = APIRouter()
_AUTHORIZED = [Depends(_authorize)]
_ERRORS = problems.responses(problems.Unauthorized)


@router.post("/v1/messages", status_code=202, dependencies=_AUTHORIZED, responses=_ERRORS)
async def send_message(message: MessageIn, network: NetworkDep) -> dict[str, Any]:
    """Accept an SMS; a delivery receipt follows on the webhook."""
    encoding, segments = smsnetwork.count_segments(text=message.body)
    record = network.accept(
        Record(
            kind="sms",
            sender=message.sender,
            to=message.to,
            text=message.body,
            client_ref=message.client_ref,
            segments=segments,
            encoding=encoding,
        )
    )
    return {"id": record.id, "status": "accepted", "segments": segments, "encoding": encoding}


@router.post("/v1/calls", status_code=202, dependencies=_AUTHORIZED, responses=_ERRORS)
async def place_call(call: CallIn, network: NetworkDep) -> dict[str, Any]:
    """Accept an automated call; a call receipt follows on the webhook."""
    record = network.accept(
        Record(kind="call", sender="", to=call.to, text=call.script, client_ref=call.client_ref)
    )
    return {"id": record.id, "status": "accepted"}


@router.post("/v1/inbound", status_code=202, responses=problems.responses())
async def inject_inbound(reply: InboundIn, network: NetworkDep) -> dict[str, Any]:
    """Simulate a reply sent from a phone; it is posted to the webhook at once."""
    return {"id": _receive(network, reply).id, "status": "accepted"}


def _receive(network: Network, reply: InboundIn) -> Record:
    inbound = Record(kind="inbound", sender=reply.from_, to=reply.to, text=reply.body)
    inbound.status = "received"
    return network.accept(inbound)


@router.get("/api/messages")
async def list_messages(network: NetworkDep) -> list[dict[str, Any]]:
    """List everything sent and received, oldest first."""
    return [asdict(record) for record in network.records]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Tell that the process is alive."""
    return {"status": "ok"}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index_page(request: Request, network: NetworkDep) -> HTMLResponse:
    """Show every message and a form to inject an inbound reply."""
    return _page(request, network, form={"to": "Isoloir", "body": "STOP"})


@router.post("/inbound", include_in_schema=False)
async def inbound_form(request: Request, network: NetworkDep) -> Response:
    """Inject an inbound reply from the page's form, then show the list again."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        raise problems.UnsupportedMediaType(f"this form takes {FORM_TYPE}")
    query = (await request.body()).decode("utf-8", "replace")
    form = {key: values[0] for key, values in parse.parse_qs(query).items()}
    try:
        reply = InboundIn.model_validate(form)
    except ValidationError as exc:
        errors = [f"{e.field}: {e.reason}" for e in _field_errors(exc.errors())]
        return _page(request, network, form=form, errors=errors, status_code=422)
    _receive(network, reply)
    return RedirectResponse("/", status_code=303)


def _page(
    request: Request, network: Network, status_code: int = 200, **context: Any
) -> HTMLResponse:
    template = request.app.state.templates.get_template("sms_index.html")
    html = template.render(records=list(reversed(network.records)), **context)
    return HTMLResponse(html, status_code=status_code, headers=devserver.PAGE_HEADERS)


def _field_errors(errors: Any) -> list[problems.FieldError]:
    reasons = {"missing": "this field is required", "extra_forbidden": "unknown field"}
    out = []
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        name = ".".join(loc[1:] if loc[:1] == ["body"] else loc) or "request"
        out.append(problems.FieldError(field=name, reason=reasons.get(error["type"], error["msg"])))
    return out


async def _on_invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return problems.problem_response(problems.MalformedBody("the body is not valid JSON"))
    errors = _field_errors(exc.errors())
    summary = "; ".join(f"{e.field}: {e.reason}" for e in errors[:5])
    return problems.problem_response(problems.Unprocessable(summary, errors=errors))


def create_app(
    *,
    api_key: str,
    webhook_url: str | None,
    webhook_secret: str,
    receipt_delay: float = 0.2,
    max_attempts: int = 5,
    retry_backoff: float = 0.5,
) -> FastAPI:
    """Build the simulator; receipts and replies go to webhook_url, signed with webhook_secret."""
    if not api_key or not webhook_secret:
        raise ValueError("the SMS gateway simulator needs an API key and a webhook secret")
    network = Network(
        api_key=api_key,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        receipt_delay=receipt_delay,
        max_attempts=max_attempts,
        retry_backoff=retry_backoff,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as http:
            network.http = http
            try:
                yield
            finally:
                await network.aclose()
                network.http = None

    app = FastAPI(
        title="Isoloir SMS gateway simulator", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.network = network
    app.state.templates = devserver.templates()
    problems.install(app)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.include_router(router)
    return app


async def serve(
    *,
    port: int = DEFAULT_PORT,
    api_key: str,
    webhook_url: str | None,
    webhook_secret: str,
    host: str = "127.0.0.1",
    receipt_delay: float = 0.2,
) -> None:
    """Run the simulator on host:port until cancelled."""
    app = create_app(
        api_key=api_key,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        receipt_delay=receipt_delay,
    )
    log.info("sms gateway listening", extra={"port": port, "webhook": webhook_url is not None})
    await devserver.run_http(app=app, host=host, port=port)
