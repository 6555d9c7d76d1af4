"""The opposition list: check a person, import and export keyed hashes (suppression only).

Campaign managers reach it through their campaign's routes, party administrators through
the party routes; the list itself belongs to no campaign and holds hashes only.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import col

from consent_svc import optouts
from consent_svc.deps import Manager, NowDep, PartyAdmin, SettingsDep
from consent_svc.models import Opposition
from consent_svc.schemas import Strict
from isoloir import identity, problems, service
from isoloir.http import SessionDep

campaign_router = service.json_router(
    prefix="/v1/campaigns/{campaign_id}/opposition", tags=["opposition list"]
)
party_router = service.json_router(
    prefix="/v1/parties/{party_id}/opposition", tags=["opposition list"]
)

HASH = re.compile(r"^[0-9a-f]{64}$")
IMPORT_LIMIT = 20 * 1024 * 1024


class CheckBody(Strict):
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


class CheckResult(BaseModel):
    listed: bool
    email_listed: bool | None
    phone_listed: bool | None


class RowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    added: int
    already_listed: int
    errors: list[RowError]


async def _check(session: SessionDep, settings: SettingsDep, body: CheckBody) -> CheckResult:
    if not body.email and not body.phone:
        raise problems.field_error("body", "give an email, a phone, or both")
    hashes: dict[str, str] = {}
    try:
        if body.email:
            email = identity.normalise_email(body.email)
            hashes["email"] = identity.email_hash(secret=settings.party_secret, email=email)
    except identity.InvalidIdentifier as exc:
        raise problems.field_error("email", str(exc)) from None
    try:
        if body.phone:
            phone = identity.normalise_phone(body.phone)
            hashes["phone"] = identity.phone_hash(secret=settings.party_secret, phone=phone)
    except identity.InvalidIdentifier as exc:
        raise problems.field_error("phone", str(exc)) from None
    found = await optouts.listed(session, hashes.values())
    email_listed = hashes["email"] in found if "email" in hashes else None
    phone_listed = hashes["phone"] in found if "phone" in hashes else None
    return CheckResult(
        listed=bool(email_listed or phone_listed),
        email_listed=email_listed,
        phone_listed=phone_listed,
    )


async def _import(
    request: Request, session: SessionDep, kernel: service.Kernel, now: NowDep
) -> ImportResult:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("text/csv", "text/plain"):
        raise problems.UnsupportedMediaType("this endpoint takes text/csv (columns kind,hash)")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise problems.field_error("body", "the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header != ["kind", "hash"]:
        raise problems.field_error("body", "the first line must be the header: kind,hash")
    errors: list[RowError] = []
    wanted: dict[str, str] = {}
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            errors.append(RowError(row=number, field="row", reason="expected two columns"))
            continue
        kind, value = row[0].strip().lower(), row[1].strip().lower()
        if kind not in ("email", "phone"):
            errors.append(RowError(row=number, field="kind", reason="must be email or phone"))
        elif not HASH.match(value):
            errors.append(RowError(row=number, field="hash", reason="not a 64-hex keyed hash"))
        else:
            wanted[value] = kind
    already = await optouts.listed(session, wanted)
    added = 0
    for value, kind in wanted.items():
        if value in already:
            continue
        hashes = optouts.Hashes(**{f"{kind}_hash": value})
        await optouts.add(
            session, outbox=kernel.outbox, hashes=hashes, source="import", now=now, key=value
        )
        added += 1
    return ImportResult(added=added, already_listed=len(already), errors=errors)


async def _export(session: SessionDep) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "hash"])
    rows = await session.execute(
        sa.select(col(Opposition.kind), col(Opposition.hash)).order_by(col(Opposition.hash))
    )
    for kind, value in rows:
        writer.writerow([kind, value])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "kind,hash lines"}
}
_IMPORT_BODY = {
    "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
}


@campaign_router.post("/check", responses=problems.responses(problems.Forbidden))
async def check_campaign(
    campaign_id: uuid.UUID,
    body: CheckBody,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
) -> CheckResult:
    """Tell whether an email or phone is on the opposition list (nothing is stored)."""
    return await _check(session, settings, body)


@campaign_router.post(
    "/import",
    responses=problems.responses(problems.Forbidden, problems.UnsupportedMediaType),
    openapi_extra=_IMPORT_BODY,
    max_body_size=IMPORT_LIMIT,
)
async def import_campaign(
    campaign_id: uuid.UUID,
    request: Request,
    principal: Manager,
    session: SessionDep,
    kernel: service.KernelDep,
    now: NowDep,
) -> ImportResult:
    """Add keyed hashes from a CSV (kind,hash); bad rows are reported, good ones kept."""
    return await _import(request, session, kernel, now)


@campaign_router.get("/export", responses={**problems.responses(problems.Forbidden), **_CSV})
async def export_campaign(
    campaign_id: uuid.UUID, principal: Manager, session: SessionDep
) -> Response:
    """Return the opposition list as CSV (kind,hash)."""
    return await _export(session)


@party_router.post("/check", responses=problems.responses(problems.Forbidden))
async def check_party(
    party_id: uuid.UUID,
    body: CheckBody,
    principal: PartyAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> CheckResult:
    """Tell whether an email or phone is on the opposition list (nothing is stored)."""
    return await _check(session, settings, body)


@party_router.post(
    "/import",
    responses=problems.responses(problems.Forbidden, problems.UnsupportedMediaType),
    openapi_extra=_IMPORT_BODY,
    max_body_size=IMPORT_LIMIT,
)
async def import_party(
    party_id: uuid.UUID,
    request: Request,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
    now: NowDep,
) -> ImportResult:
    """Add keyed hashes from a CSV (kind,hash); bad rows are reported, good ones kept."""
    return await _import(request, session, kernel, now)


@party_router.get("/export", responses={**problems.responses(problems.Forbidden), **_CSV})
async def export_party(party_id: uuid.UUID, principal: PartyAdmin, session: SessionDep) -> Response:
    """Return the opposition list as CSV (kind,hash)."""
    return await _export(session)
