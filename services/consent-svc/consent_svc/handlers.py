"""Event handlers of consent-svc, by event type."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from consent_svc import optouts, projection, repository, rights
from consent_svc.ledger import Change, Evidence, LedgerWriter
from consent_svc.models import Submission
from isoloir.consumer import EventContext, HandlerMap
from isoloir.events import contacts
from isoloir.events import rights as rights_events

SYSTEM = "system:contacts-svc"


async def on_contact_upserted(
    payload: contacts.ContactCreated | contacts.ContactUpdated, *, ctx: EventContext
) -> None:
    """Keep the contact's kind and hashes (R12 needs the kind)."""
    await projection.upsert_contact(
        ctx.session,
        contact_id=payload.contact_id,
        campaign_id=payload.campaign_id,
        kind=payload.kind,
        email_hash=payload.email_hash,
        phone_hash=payload.phone_hash,
        proposed=False,
        now=ctx.now,
    )
    await ctx.session.execute(
        sa.update(Submission)
        .where(
            col(Submission.proposed_contact_id) == payload.contact_id,
            col(Submission.status) == "submitted",
        )
        .values(status="created", resolved_contact_id=payload.contact_id, resolved_at=ctx.now)
    )


async def on_contact_deleted(payload: contacts.ContactDeleted, *, ctx: EventContext) -> None:
    """Forget the person: projection, states and personal evidence; the chain stays."""
    ids = await repository.alias_ids(
        ctx.session, campaign_id=payload.campaign_id, contact_id=payload.contact_id
    )
    if payload.reason in ("erasure", "objection"):
        # contacts-svc deletes on the same rights request, and its event may be read before
        # the request itself: the hashes known only here are opposed before they are forgotten.
        for person in await rights.known_hashes(ctx.session, ids):
            await optouts.add(
                ctx.session,
                outbox=ctx.outbox,
                hashes=person,
                source=payload.reason,
                now=ctx.now,
                key=str(payload.contact_id),
            )
    await projection.forget(
        ctx.session, campaign_id=payload.campaign_id, contact_ids=ids, now=ctx.now
    )


async def on_contact_merged(payload: contacts.ContactMerged, *, ctx: EventContext) -> None:
    """Alias the duplicate to the kept contact (entries are never rewritten)."""
    await projection.record_merge(
        ctx.session,
        campaign_id=payload.campaign_id,
        duplicate_id=payload.duplicate_id,
        kept_id=payload.kept_id,
        now=ctx.now,
    )
    await ctx.session.execute(
        sa.update(Submission)
        .where(col(Submission.proposed_contact_id) == payload.duplicate_id)
        .values(status="merged", resolved_contact_id=payload.kept_id, resolved_at=ctx.now)
    )


async def on_contact_rejected(payload: contacts.ContactRejected, *, ctx: EventContext) -> None:
    """Withdraw the live consents of a proposed contact that was not created, then erase it."""
    # Withdrawal entries (method staff_entry, collector system:contacts-svc, reason
    # contact_rejected:<why>) record that these consents never took effect, without rewriting
    # the entries that evidenced them.
    writer = LedgerWriter(session=ctx.session, outbox=ctx.outbox, now=ctx.now)
    rows = await repository.current_states(
        ctx.session, campaign_id=payload.campaign_id, contact_id=payload.proposed_id
    )
    for row in rows:
        if row.state not in ("granted", "pending"):
            continue
        evidence = Evidence(
            method="staff_entry",
            collector=SYSTEM,
            occurred_at=payload.occurred_at,
            reason=f"contact_rejected:{payload.reason}",
            source_ref=f"contact:{payload.proposed_id}",
        )
        change = Change(
            contact_id=payload.proposed_id,
            channel=row.channel,  # type: ignore[arg-type]
            purpose=row.purpose,
            state="withdrawn",
            evidence=evidence,
        )
        await writer.record(campaign_id=payload.campaign_id, change=change)
    await ctx.session.execute(
        sa.update(Submission)
        .where(col(Submission.proposed_contact_id) == payload.proposed_id)
        .values(status="rejected", resolved_at=ctx.now)
    )
    await projection.forget(
        ctx.session,
        campaign_id=payload.campaign_id,
        contact_ids={payload.proposed_id},
        now=ctx.now,
    )


HANDLERS: HandlerMap = {
    contacts.ContactCreated.event_type: [on_contact_upserted],
    contacts.ContactUpdated.event_type: [on_contact_upserted],
    contacts.ContactDeleted.event_type: [on_contact_deleted],
    contacts.ContactMerged.event_type: [on_contact_merged],
    contacts.ContactRejected.event_type: [on_contact_rejected],
    rights_events.RightsRequestOpened.event_type: [rights.on_rights_request],
}
