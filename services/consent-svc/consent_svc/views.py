"""Turn stored rows into API bodies."""

from __future__ import annotations

from consent_svc.models import Current, Entry
from consent_svc.schemas import EntryPublic, StatePublic


def entry(row: Entry) -> EntryPublic:
    """Return a ledger entry with its evidence."""
    return EntryPublic(
        id=row.id,
        seq=row.seq,
        contact_id=row.contact_id,
        channel=row.channel,
        purpose=row.purpose,
        state=row.state,
        previous_state=row.previous_state,
        method=row.method,
        collector=row.collector,
        form_id=row.form_id,
        form_version=row.form_version,
        notice_sha256=row.notice_sha256,
        language=row.language,
        call_window=row.call_window,
        reason=row.reason,
        source_ref=row.source_ref,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        optout_seq=row.optout_seq,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        note=row.note,
        erased=row.erased_at is not None,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def state(row: Current) -> StatePublic:
    """Return the current state of one (channel, purpose)."""
    return StatePublic(
        channel=row.channel,
        purpose=row.purpose,
        state=row.state,
        since=row.occurred_at,
        entry_id=row.entry_id,
        expires_at=row.expires_at,
        call_window=row.call_window,
    )
