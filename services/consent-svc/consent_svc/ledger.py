"""Append to the ledger: one entry per change, chained, projected and published.

Appends to a campaign's chain are serialised by a row lock on its chain head, so replicas
agree on the order. Opt-out numbers come from one counter row locked after the chain heads:
a writer locks every head it needs first (in a fixed order), which rules out deadlocks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import chain, optouts, repository
from consent_svc.models import ChainHead, Current, Entry
from isoloir.events import Envelope, consent
from isoloir.outbox import Outbox

OPT_OUT_STATES = frozenset({"refused", "withdrawn"})
EVENT_OF_STATE: dict[str, type[consent._ConsentChange]] = {
    "pending": consent.ConsentRequested,
    "granted": consent.ConsentGranted,
    "refused": consent.ConsentRefused,
    "withdrawn": consent.ConsentWithdrawn,
    "expired": consent.ConsentExpired,
}


@dataclass(frozen=True)
class Evidence:
    """How, when, by whom and after which notice a change was made."""

    method: consent.Method
    collector: str
    occurred_at: datetime
    form_id: uuid.UUID | None = None
    form_version: int | None = None
    notice_sha256: str | None = None
    language: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    note: str | None = None
    reason: str | None = None
    source_ref: str | None = None


@dataclass(frozen=True)
class Change:
    """One (contact, channel, purpose) moving to a state."""

    contact_id: uuid.UUID
    channel: consent.Channel
    purpose: str
    state: consent.ConsentState
    evidence: Evidence
    call_window: consent.CallWindow | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    entry: Entry
    envelope: Envelope


@dataclass
class LedgerWriter:
    """Writes entries in one transaction; lock the heads first when several campaigns move."""

    session: AsyncSession
    outbox: Outbox
    now: datetime
    _heads: dict[uuid.UUID, ChainHead] = field(default_factory=dict)

    async def lock(self, campaign_ids: Iterable[uuid.UUID]) -> None:
        """Lock the chain heads of these campaigns, in a fixed order."""
        wanted = sorted(set(campaign_ids) - set(self._heads), key=str)
        if wanted and optouts.counter_locked(self.session):
            raise RuntimeError("chain heads must be locked before the opt-out counter")
        for campaign_id in wanted:
            stmt = (
                repository.insert(self.session, ChainHead)
                .values(campaign_id=campaign_id, last_seq=0, last_hash=chain.GENESIS)
                .on_conflict_do_nothing(index_elements=["campaign_id"])
            )
            await self.session.execute(stmt)
            head = await self.session.scalar(
                sa.select(ChainHead)
                .where(col(ChainHead.campaign_id) == campaign_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert head is not None
            self._heads[campaign_id] = head

    async def record(self, *, campaign_id: uuid.UUID, change: Change) -> Recorded:
        """Append one entry, update the projection and queue its event."""
        await self.lock([campaign_id])
        head = self._heads[campaign_id]
        previous = await self.session.scalar(
            sa.select(col(Current.state)).where(
                col(Current.campaign_id) == campaign_id,
                col(Current.contact_id) == change.contact_id,
                col(Current.channel) == change.channel,
                col(Current.purpose) == change.purpose,
            )
        )
        optout_seq = (
            await optouts.next_seq(self.session) if change.state in OPT_OUT_STATES else None
        )
        ev = change.evidence
        entry = Entry(
            campaign_id=campaign_id,
            seq=head.last_seq + 1,
            channel=change.channel,
            purpose=change.purpose,
            state=change.state,
            previous_state=previous,
            method=ev.method,
            collector=ev.collector,
            form_id=ev.form_id,
            form_version=ev.form_version,
            notice_sha256=ev.notice_sha256,
            language=ev.language,
            call_window=_window_json(change.call_window),
            reason=ev.reason,
            source_ref=ev.source_ref,
            occurred_at=ev.occurred_at.astimezone(UTC),
            recorded_at=self.now.astimezone(UTC),
            optout_seq=optout_seq,
            contact_id=change.contact_id,
            ip_address=ev.ip_address,
            user_agent=ev.user_agent,
            note=ev.note,
            personal_digest="",
            prev_hash="",
            entry_hash="",
        )
        chain.seal(entry, prev_hash=head.last_hash)
        self.session.add(entry)
        head.last_seq = entry.seq
        head.last_hash = entry.entry_hash
        await self.session.flush()
        await self._project(entry, change)
        envelope = await self.outbox.add(
            self.session,
            _event(entry, change),
            tenant_id=str(campaign_id),
            key=str(change.contact_id),
        )
        return Recorded(entry=entry, envelope=envelope)

    async def _project(self, entry: Entry, change: Change) -> None:
        values: dict[str, Any] = {
            "state": entry.state,
            "entry_id": entry.id,
            "seq": entry.seq,
            "occurred_at": entry.occurred_at,
            "expires_at": change.expires_at if entry.state == "pending" else None,
            "call_window": entry.call_window,
        }
        stmt = repository.insert(self.session, Current).values(
            campaign_id=entry.campaign_id,
            contact_id=entry.contact_id,
            channel=entry.channel,
            purpose=entry.purpose,
            **values,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["campaign_id", "contact_id", "channel", "purpose"], set_=values
        )
        await self.session.execute(stmt)


def _window_json(window: consent.CallWindow | None) -> dict[str, Any] | None:
    return None if window is None else window.model_dump(mode="json")


def _event(entry: Entry, change: Change) -> consent._ConsentChange:
    cls = EVENT_OF_STATE[entry.state]
    return cls(
        entry_id=entry.id,
        contact_id=change.contact_id,
        campaign_id=entry.campaign_id,
        channel=change.channel,
        purpose=entry.purpose,
        state=change.state,
        previous_state=entry.previous_state,
        method=change.evidence.method,
        call_window=change.call_window,
        optout_seq=entry.optout_seq,
        occurred_at=entry.occurred_at,
    )
