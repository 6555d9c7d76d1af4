"""Channel-wide opt-outs recorded by staff or by messaging-svc (e.g. an SMS STOP reply, R4)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import Response
from pydantic import BaseModel, Field

from consent_svc import consents, pages, repository, unsubscribing, views
from consent_svc.deps import NowDep, Recorder
from consent_svc.schemas import EntryPublic, Strict
from isoloir import db, problems, service
from isoloir.events import consent
from isoloir.events.consent import Channel

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["ledger"])


class OptOutCreate(Strict):
    """Withdraw every live consent of one channel (all purposes) for a contact."""

    channel: Channel
    method: Literal["sms_reply", "staff_entry", "canvassing", "paper_form"]
    whole_party: bool = Field(
        default=False,
        description="Also every campaign of the party, and put the person on the opposition list.",
    )
    message_id: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, max_length=1000)


class OptOutResult(BaseModel):
    entries: list[EntryPublic]
    opposition_added: bool
    published: bool = Field(
        description="True once every event is on the broker; false: registered, being applied."
    )


@router.post(
    "/contacts/{contact_id}/opt-outs",
    status_code=200,
    responses={
        **problems.responses(problems.NotFound, problems.Forbidden),
        202: {"description": "Recorded; its events are still on their way to the broker."},
    },
)
async def opt_out(
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: OptOutCreate,
    principal: Recorder,
    now: NowDep,
    kernel: service.KernelDep,
    response: Response,
) -> OptOutResult:
    """Withdraw a channel for a contact; answer once the opt-out is published (I1)."""
    # Committed here, not by the request's session: publication is awaited after the commit.
    async with db.transaction(kernel.sessionmaker) as session:
        contact = await consents.known(session, campaign_id=campaign_id, contact_id=contact_id)
        events = await unsubscribing.unsubscribe(
            session,
            outbox=kernel.outbox,
            campaign_id=campaign_id,
            contact_id=contact.contact_id,
            channel=body.channel,
            message_id=body.message_id,
            whole_party=body.whole_party,
            browser=None,
            now=now,
            method=body.method,
            collector=principal.subject,
            note=body.note,
        )
        recorded = []
        for event in events:
            if event.event_type != consent.ConsentWithdrawn.event_type:
                continue
            row = await repository.entry(
                session,
                campaign_id=uuid.UUID(str(event.tenant_id)),
                entry_id=uuid.UUID(event.payload["entry_id"]),
            )
            if row is not None:
                recorded.append(views.entry(row))
    published = await pages.acknowledge(kernel, events)
    response.status_code = 200 if published else 202
    return OptOutResult(
        entries=recorded,
        opposition_added=any(e.event_type == consent.OppositionAdded.event_type for e in events),
        published=published,
    )
