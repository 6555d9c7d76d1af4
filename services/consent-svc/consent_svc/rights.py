"""Data-subject requests: export the consent history, erase, or record an objection."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import optouts, projection, repository, views
from consent_svc.ledger import Change, Evidence, LedgerWriter
from consent_svc.models import Entry, KnownContact
from isoloir.consumer import EventContext
from isoloir.events.rights import RightsRequestAcknowledged, RightsRequestOpened

SERVICE = "consent"


async def match(
    session: AsyncSession, request: RightsRequestOpened
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Return the person's contact ids per campaign (merged records included)."""
    scope = [request.campaign_id] if request.campaign_id else None
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for contact in await repository.contacts_by_hashes(
        session, email_hash=request.email_hash, phone_hash=request.phone_hash, campaign_ids=scope
    ):
        found[contact.campaign_id].add(contact.contact_id)
    if request.contact_ids:
        query = sa.select(col(Entry.campaign_id), col(Entry.contact_id)).where(
            col(Entry.contact_id).in_(request.contact_ids)
        )
        known = sa.select(col(KnownContact.campaign_id), col(KnownContact.contact_id)).where(
            col(KnownContact.contact_id).in_(request.contact_ids)
        )
        for campaign_id, contact_id in [
            *(await session.execute(query)).all(),
            *(await session.execute(known)).all(),
        ]:
            if contact_id is not None and (scope is None or campaign_id in scope):
                found[campaign_id].add(contact_id)
    out: dict[uuid.UUID, set[uuid.UUID]] = {}
    for campaign_id, ids in found.items():
        every: set[uuid.UUID] = set()
        for contact_id in ids:
            kept = await repository.resolve_contact(
                session, campaign_id=campaign_id, contact_id=contact_id
            )
            every |= await repository.alias_ids(session, campaign_id=campaign_id, contact_id=kept)
        out[campaign_id] = every
    return out


async def known_hashes(
    session: AsyncSession,
    contact_ids: Iterable[uuid.UUID],
    *,
    email_hash: str | None = None,
    phone_hash: str | None = None,
) -> list[optouts.Hashes]:
    """Return the given hashes with those of these contacts, one opposition entry each."""
    emails = {email_hash} if email_hash else set()
    phones = {phone_hash} if phone_hash else set()
    ids = list(contact_ids)
    if ids:
        rows = await session.scalars(
            sa.select(KnownContact).where(col(KnownContact.contact_id).in_(ids))
        )
        for row in rows:
            emails |= {row.email_hash} if row.email_hash else set()
            phones |= {row.phone_hash} if row.phone_hash else set()
    return [optouts.Hashes(email_hash=e) for e in sorted(emails)] + [
        optouts.Hashes(phone_hash=p) for p in sorted(phones)
    ]


async def export(session: AsyncSession, matched: dict[uuid.UUID, set[uuid.UUID]]) -> dict[str, Any]:
    """Return the person's full consent history with evidence and the notices they saw."""
    campaigns = []
    notices: dict[str, str] = {}
    for campaign_id, ids in sorted(matched.items(), key=lambda kv: str(kv[0])):
        entries = await repository.entries_of(session, campaign_id=campaign_id, contact_ids=ids)
        for entry in entries:
            if entry.notice_sha256 and entry.notice_sha256 not in notices:
                notice = await repository.notice(
                    session, campaign_id=campaign_id, sha256=entry.notice_sha256
                )
                notices[entry.notice_sha256] = notice.text if notice else ""
        campaigns.append(
            {
                "campaign_id": str(campaign_id),
                "contact_ids": sorted(str(i) for i in ids),
                "entries": [views.entry(e).model_dump(mode="json") for e in entries],
            }
        )
    return {"service": SERVICE, "campaigns": campaigns, "notices": notices}


async def on_rights_request(payload: RightsRequestOpened, *, ctx: EventContext) -> None:
    """Answer a rights request for the consent ledger and acknowledge it."""
    session = ctx.session
    matched = await match(session, payload)
    held = any(matched.values())
    result: dict[str, Any] = {"outcome": "done" if held else "nothing_held", "detail": None}
    if payload.kind in ("access", "portability"):
        result["export"] = await export(session, matched)
    elif payload.kind == "rectification":
        result = {
            "outcome": "nothing_held",
            "detail": "consent-svc holds no rectifiable personal data (ids and keyed hashes only)",
        }
    elif payload.kind in ("erasure", "objection"):
        hashes = await known_hashes(
            session,
            [i for group in matched.values() for i in group],
            email_hash=payload.email_hash,
            phone_hash=payload.phone_hash,
        )
        if payload.kind == "objection":
            await _withdraw_everything(ctx, payload, matched)
        if payload.kind == "erasure":
            for campaign_id, ids in matched.items():
                await projection.forget(
                    session, campaign_id=campaign_id, contact_ids=ids, now=ctx.now
                )
        for person in hashes:
            await optouts.add(
                session,
                outbox=ctx.outbox,
                hashes=person,
                source=payload.kind,
                now=ctx.now,
                key=str(payload.request_id),
            )
        if hashes:
            result["outcome"] = "done"
        result["detail"] = f"{sum(len(v) for v in matched.values())} contact record(s); " + (
            f"{len(hashes)} hash(es) on the opposition list"
        )
    ack = RightsRequestAcknowledged(
        request_id=payload.request_id,
        service=SERVICE,
        outcome=result["outcome"],
        detail=result.get("detail"),
        export=result.get("export"),
        occurred_at=ctx.now,
    )
    tenant = str(payload.campaign_id) if payload.campaign_id else None
    await ctx.outbox.add(session, ack, tenant_id=tenant, key=str(payload.request_id))


async def _withdraw_everything(
    ctx: EventContext, payload: RightsRequestOpened, matched: dict[uuid.UUID, set[uuid.UUID]]
) -> None:
    writer = LedgerWriter(session=ctx.session, outbox=ctx.outbox, now=ctx.now)
    await writer.lock(matched)
    for campaign_id, ids in sorted(matched.items(), key=lambda kv: str(kv[0])):
        for contact_id in sorted(ids, key=str):
            rows = await repository.current_states(
                ctx.session, campaign_id=campaign_id, contact_id=contact_id
            )
            for row in rows:
                if row.state not in ("granted", "pending"):
                    continue
                evidence = Evidence(
                    method="rights_request",
                    collector=f"rights:{payload.request_id}",
                    occurred_at=payload.occurred_at,
                    reason="objection",
                    source_ref=f"rights:{payload.request_id}",
                )
                change = Change(
                    contact_id=contact_id,
                    channel=row.channel,  # type: ignore[arg-type]
                    purpose=row.purpose,
                    state="withdrawn",
                    evidence=evidence,
                )
                await writer.record(campaign_id=campaign_id, change=change)
