"""Event handlers of contacts-svc, by event type."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import col

from contacts_svc import contacts, erasure, events, forms, projections, rights
from contacts_svc.config import ContactsSettings
from contacts_svc.models import Contact
from contacts_svc.rules import ContactKind
from isoloir.consumer import EventContext, HandlerMap
from isoloir.events import consent as consent_ev
from isoloir.events import rights as rights_ev

log = logging.getLogger("contacts_svc.handlers")


def _settings(ctx: EventContext) -> ContactsSettings:
    assert isinstance(ctx.settings, ContactsSettings)
    return ctx.settings


async def _contact(ctx: EventContext, payload: projections.ConsentChange) -> Contact | None:
    contact_id = await projections.kept_id(ctx.session, payload.contact_id)
    return await ctx.session.scalar(
        sa.select(Contact).where(
            col(Contact.id) == contact_id,
            col(Contact.campaign_id) == payload.campaign_id,
        )
    )


async def on_consent_change(payload: projections.ConsentChange, *, ctx: EventContext) -> None:
    """Keep the consent projection (reuse of primary files, R13 upgrades)."""
    await projections.record_consent(ctx.session, payload, database_url=ctx.settings.database_url)


async def on_consent_refused(payload: consent_ev.ConsentRefused, *, ctx: EventContext) -> None:
    """A refusal means deleting the contact's data (R12)."""
    contact = await _contact(ctx, payload)
    if contact is not None:
        await erasure.forget(ctx.session, ctx.outbox, contact, reason="refusal", now=ctx.now)
        log.info("contact deleted after a refusal", extra={"contact_id": str(payload.contact_id)})
    else:
        await projections.record_consent(
            ctx.session, payload, database_url=ctx.settings.database_url
        )


async def on_consent_withdrawn(payload: consent_ev.ConsentWithdrawn, *, ctx: EventContext) -> None:
    """A regular contact that withdraws loses its enrichment and becomes occasional (R14)."""
    await projections.record_consent(ctx.session, payload, database_url=ctx.settings.database_url)
    contact = await _contact(ctx, payload)
    if contact is None or contact.kind != ContactKind.REGULAR.value:
        return
    changed = contacts.strip_enrichment(contact)
    contact.kind = ContactKind.OCCASIONAL.value
    contact.updated_at = ctx.now
    ctx.session.add(contact)
    await ctx.session.flush()
    await events.updated(ctx.session, ctx.outbox, contact, changed=[*changed, "kind"], now=ctx.now)


async def on_form_submitted(payload: consent_ev.FormSubmitted, *, ctx: EventContext) -> None:
    """Create, merge or reject the person who filled a consent form."""
    outcome = await forms.on_submission(
        ctx.session, ctx.outbox, payload, settings=_settings(ctx), now=ctx.now
    )
    log.info(
        "form submission applied",
        extra={"submission_id": str(payload.submission_id), "outcome": outcome},
    )


async def on_opposition_added(payload: consent_ev.OppositionAdded, *, ctx: EventContext) -> None:
    await projections.add_opposition(
        ctx.session, projections.hashes_of(payload), database_url=ctx.settings.database_url
    )


async def on_opposition_removed(
    payload: consent_ev.OppositionRemoved, *, ctx: EventContext
) -> None:
    await projections.remove_opposition(ctx.session, projections.hashes_of(payload))


async def on_rights_request(payload: rights_ev.RightsRequestOpened, *, ctx: EventContext) -> None:
    """Answer a data-subject request for what this service holds."""
    outcome = await rights.answer(
        ctx.session,
        ctx.outbox,
        payload,
        tenant=ctx.envelope.tenant_id,
        settings=_settings(ctx),
        now=ctx.now,
    )
    log.info(
        "rights request answered", extra={"request_id": str(payload.request_id), "outcome": outcome}
    )


HANDLERS: HandlerMap = {
    consent_ev.ConsentRequested.event_type: [on_consent_change],
    consent_ev.ConsentGranted.event_type: [on_consent_change],
    consent_ev.ConsentExpired.event_type: [on_consent_change],
    consent_ev.ConsentRefused.event_type: [on_consent_refused],
    consent_ev.ConsentWithdrawn.event_type: [on_consent_withdrawn],
    consent_ev.FormSubmitted.event_type: [on_form_submitted],
    consent_ev.OppositionAdded.event_type: [on_opposition_added],
    consent_ev.OppositionRemoved.event_type: [on_opposition_removed],
    rights_ev.RightsRequestOpened.event_type: [on_rights_request],
}
