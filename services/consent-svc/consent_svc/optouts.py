"""Opt-out numbers and the opposition list.

Every opt-out (refusal, withdrawal, opposition addition) takes the next number of a single
counter row. The row lock is held until commit, so numbers are gapless and committed in
order: messaging-svc can prove it has applied every opt-out up to the watermark (I1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from consent_svc import repository
from consent_svc.models import Opposition, OptoutCounter
from isoloir.events import Envelope, consent
from isoloir.outbox import Outbox

_LOCKED = "consent_optout_counter_locked"
HashKind = Literal["email", "phone"]
Source = Literal["objection", "erasure", "party_unsubscribe", "import", "sms_stop"]


def counter_locked(session: AsyncSession) -> bool:
    """Tell whether this transaction already holds the opt-out counter."""
    return bool(session.info.get(_LOCKED))


async def next_seq(session: AsyncSession) -> int:
    """Take the next opt-out number (locks the counter until commit)."""
    value = await session.scalar(
        sa.update(OptoutCounter)
        .where(col(OptoutCounter.id) == 1)
        .values(last_seq=col(OptoutCounter.last_seq) + 1)
        .returning(col(OptoutCounter.last_seq))
    )
    session.info[_LOCKED] = True
    if value is None:
        raise RuntimeError("the opt-out counter row is missing (migrations not applied?)")
    return int(value)


async def watermark(session: AsyncSession) -> int:
    """Return the highest committed opt-out number."""
    value = await session.scalar(
        sa.select(col(OptoutCounter.last_seq)).where(col(OptoutCounter.id) == 1)
    )
    return int(value or 0)


@dataclass(frozen=True)
class Hashes:
    """A person's keyed hashes, as the opposition list holds them."""

    email_hash: str | None = None
    phone_hash: str | None = None

    def items(self) -> list[tuple[HashKind, str]]:
        out: list[tuple[HashKind, str]] = []
        if self.email_hash:
            out.append(("email", self.email_hash))
        if self.phone_hash:
            out.append(("phone", self.phone_hash))
        return out


async def listed(session: AsyncSession, hashes: Iterable[str]) -> set[str]:
    """Return which of these hashes are on the opposition list."""
    wanted = [h for h in hashes if h]
    if not wanted:
        return set()
    rows = await session.scalars(
        sa.select(col(Opposition.hash)).where(col(Opposition.hash).in_(wanted))
    )
    return set(rows)


async def add(
    session: AsyncSession,
    *,
    outbox: Outbox,
    hashes: Hashes,
    source: Source,
    now: datetime,
    key: str,
) -> Envelope | None:
    """Put hashes on the opposition list; publish opposition.added if any was new."""
    new = [(kind, value) for kind, value in hashes.items()]
    already = await listed(session, [value for _, value in new])
    new = [(kind, value) for kind, value in new if value not in already]
    if not new:
        return None
    for kind, value in new:
        stmt = (
            repository.insert(session, Opposition)
            .values(hash=value, kind=kind, source=source, added_at=now)
            .on_conflict_do_nothing(index_elements=["hash"])
        )
        await session.execute(stmt)
    added = dict(new)
    payload = consent.OppositionAdded(
        email_hash=added.get("email"),
        phone_hash=added.get("phone"),
        source=source,
        optout_seq=await next_seq(session),
        occurred_at=now,
    )
    return await outbox.add(session, payload, tenant_id=None, key=key)


async def remove(
    session: AsyncSession, *, outbox: Outbox, hashes: Hashes, now: datetime, key: str
) -> Envelope | None:
    """Take hashes off the list after a new, evidenced consent; publish opposition.removed."""
    present = await listed(session, [value for _, value in hashes.items()])
    gone = [(kind, value) for kind, value in hashes.items() if value in present]
    if not gone:
        return None
    await session.execute(
        sa.delete(Opposition).where(col(Opposition.hash).in_([v for _, v in gone]))
    )
    removed = dict(gone)
    payload = consent.OppositionRemoved(
        email_hash=removed.get("email"),
        phone_hash=removed.get("phone"),
        reason="new_consent",
        occurred_at=now,
    )
    return await outbox.add(session, payload, tenant_id=None, key=key)
