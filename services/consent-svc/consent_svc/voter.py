"""What voters do on the public pages: submit a form, change preferences, unsubscribe."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from consent_svc import optouts, projection, repository
from consent_svc.ledger import Change, Evidence, LedgerWriter
from consent_svc.models import FormVersion, Submission
from isoloir.events import Envelope, consent
from isoloir.outbox import Outbox

PHONE_CHANNELS = frozenset({"sms", "phone", "automated_call"})
LIVE = frozenset({"granted", "pending"})


@dataclass(frozen=True)
class Person:
    """What a person typed in a form, already normalised and hashed."""

    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    postal_code: str | None
    email_hash: str | None
    phone_hash: str | None


@dataclass(frozen=True)
class Browser:
    """Web-form evidence of the request."""

    ip_address: str | None
    user_agent: str | None
    language: Literal["fr", "en"]


async def submit_form(
    session: AsyncSession,
    *,
    outbox: Outbox,
    version: FormVersion,
    person: Person,
    ticked: list[tuple[consent.Channel, str]],
    browser: Browser,
    now: datetime,
) -> Submission:
    """Record a submission and each ticked consent; contacts-svc creates the contact later."""
    content = version.content
    contact_id = uuid.uuid4()
    submission = Submission(
        campaign_id=version.campaign_id,
        form_id=version.form_id,
        form_version=version.version,
        proposed_contact_id=contact_id,
        language=browser.language,
        submitted_at=now,
    )
    session.add(submission)
    await projection.upsert_contact(
        session,
        contact_id=contact_id,
        campaign_id=version.campaign_id,
        kind=content["contact_kind"],
        email_hash=person.email_hash,
        phone_hash=person.phone_hash,
        proposed=True,
        now=now,
    )
    # A new, evidenced consent supersedes an earlier objection. Keyed like the submission so
    # contacts-svc reads the removal before the submission (same partition, in order).
    await optouts.remove(
        session,
        outbox=outbox,
        hashes=optouts.Hashes(email_hash=person.email_hash, phone_hash=person.phone_hash),
        now=now,
        key=str(contact_id),
    )
    await outbox.add(
        session,
        consent.FormSubmitted(
            submission_id=submission.id,
            campaign_id=version.campaign_id,
            form_id=version.form_id,
            proposed_contact_id=contact_id,
            contact_kind=content["contact_kind"],
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            postal_code=person.postal_code,
            occurred_at=now,
        ),
        tenant_id=str(version.campaign_id),
        key=str(contact_id),
    )
    writer = LedgerWriter(session=session, outbox=outbox, now=now)
    notice = version.notice_en_sha256 if browser.language == "en" else version.notice_fr_sha256
    window = content.get("call_window")
    for channel, purpose in ticked:
        evidence = Evidence(
            method="web_form",
            collector="self",
            occurred_at=now,
            form_id=version.form_id,
            form_version=version.version,
            notice_sha256=notice,
            language=browser.language,
            ip_address=browser.ip_address,
            user_agent=browser.user_agent,
            source_ref=f"submission:{submission.id}",
        )
        change = Change(
            contact_id=contact_id,
            channel=channel,
            purpose=purpose,
            state="granted",
            evidence=evidence,
            call_window=consent.CallWindow.model_validate(window)
            if channel == "automated_call" and window
            else None,
        )
        await writer.record(campaign_id=version.campaign_id, change=change)
    return submission


@dataclass(frozen=True)
class Grantable:
    """A (channel, purpose) the campaign currently offers, with the form that offers it."""

    version: FormVersion
    offer: dict[str, Any]


async def grantable(session: AsyncSession, *, campaign_id: uuid.UUID) -> dict[str, Grantable]:
    """Return the combinations the campaign's published forms offer, by 'channel:purpose'."""
    out: dict[str, Grantable] = {}
    for version in await repository.published_versions(session, campaign_id=campaign_id):
        for offer in version.content["offers"]:
            out.setdefault(f"{offer['channel']}:{offer['purpose']}", Grantable(version, offer))
    return out


async def apply_preferences(
    session: AsyncSession,
    *,
    outbox: Outbox,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    shown: Iterable[str],
    checked: set[str],
    browser: Browser,
    now: datetime,
) -> list[Envelope]:
    """Record the changes a person made on the preference page; return the opt-out events."""
    states = {
        f"{r.channel}:{r.purpose}": r.state
        for r in await repository.current_states(
            session, campaign_id=campaign_id, contact_id=contact_id
        )
    }
    offers = await grantable(session, campaign_id=campaign_id)
    writer = LedgerWriter(session=session, outbox=outbox, now=now)
    optout_events = []
    for key in shown:
        channel, purpose = key.split(":", 1)
        state = states.get(key)
        if key in checked and state != "granted" and key in offers:
            offer = offers[key]
            notice = (
                offer.version.notice_en_sha256
                if browser.language == "en"
                else offer.version.notice_fr_sha256
            )
            window = offer.version.content.get("call_window")
            change = Change(
                contact_id=contact_id,
                channel=channel,  # type: ignore[arg-type]
                purpose=purpose,
                state="granted",
                evidence=_evidence(browser, now, form=offer.version, notice=notice),
                call_window=consent.CallWindow.model_validate(window)
                if channel == "automated_call" and window
                else None,
            )
            await writer.record(campaign_id=campaign_id, change=change)
        elif key not in checked and state == "granted":
            change = Change(
                contact_id=contact_id,
                channel=channel,  # type: ignore[arg-type]
                purpose=purpose,
                state="withdrawn",
                evidence=_evidence(browser, now),
            )
            recorded = await writer.record(campaign_id=campaign_id, change=change)
            optout_events.append(recorded.envelope)
    return optout_events


def _evidence(
    browser: Browser, now: datetime, *, form: FormVersion | None = None, notice: str | None = None
) -> Evidence:
    return Evidence(
        method="preference_centre",
        collector="self",
        occurred_at=now,
        form_id=form.form_id if form else None,
        form_version=form.version if form else None,
        notice_sha256=notice,
        language=browser.language,
        ip_address=browser.ip_address,
        user_agent=browser.user_agent,
    )
