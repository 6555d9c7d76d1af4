"""Walk a campaign's chain and name the first entry that does not verify."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import chain, repository
from consent_svc.models import ChainHead, Notice

PAGE = 1000


@dataclass(frozen=True)
class Report:
    campaign_id: uuid.UUID
    entries_checked: int
    head_seq: int
    head_hash: str
    failure: chain.Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


async def verify(session: AsyncSession, *, campaign_id: uuid.UUID) -> Report:
    """Check every entry of the campaign's chain, its notices and its head."""
    head = await session.scalar(
        sa.select(ChainHead).where(col(ChainHead.campaign_id) == campaign_id)
    )
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else chain.GENESIS
    prev_hash, expected, checked = chain.GENESIS, 1, 0
    notices: dict[str, bool] = {}
    while True:
        page = await repository.entries_page(
            session, campaign_id=campaign_id, after_seq=expected - 1, limit=PAGE
        )
        for entry in page:
            failure = chain.check_entry(entry, expected_seq=expected, prev_hash=prev_hash)
            if failure is None and entry.notice_sha256:
                failure = await _check_notice(session, entry.notice_sha256, campaign_id, notices)
                if failure is not None:
                    failure = chain.Failure(entry_id=entry.id, seq=entry.seq, reason=failure.reason)
            if failure is not None:
                return Report(campaign_id, checked, head_seq, head_hash, failure)
            prev_hash, expected, checked = entry.entry_hash, expected + 1, checked + 1
        if len(page) < PAGE:
            break
    if checked != head_seq or prev_hash != head_hash:
        failure = chain.Failure(
            entry_id=None,
            seq=checked + 1,
            reason=f"the chain head records {head_seq} entries but the ledger holds {checked} "
            "that chain up to it (entries removed from the end, or the head altered)",
        )
        return Report(campaign_id, checked, head_seq, head_hash, failure)
    return Report(campaign_id, checked, head_seq, head_hash, None)


async def _check_notice(
    session: AsyncSession, sha256: str, campaign_id: uuid.UUID, seen: dict[str, bool]
) -> chain.Failure | None:
    if sha256 not in seen:
        notice = await session.get(Notice, (campaign_id, sha256))
        seen[sha256] = notice is not None and repository.text_sha256(notice.text) == sha256
    if seen[sha256]:
        return None
    return chain.Failure(
        entry_id=None, seq=0, reason="the notice text it references is missing or was altered"
    )
