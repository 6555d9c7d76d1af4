"""Login: tokens for staff, with failed attempts counted per account in the database.

The counter is keyed by a keyed hash of the address asked for, whether an account has it or
not, so the answers (and their timing) never tell whether an email exists; replicas share it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from contacts_svc import passwords, repository, staff
from contacts_svc.config import ContactsSettings
from contacts_svc.metrics import ContactsMetrics
from contacts_svc.models import Campaign, LoginThrottle, StaffMember, StaffRole, table
from contacts_svc.schemas import LoginIn, TokenOut
from isoloir import auth, db, problems, signing
from isoloir.auth import Role

WRONG = "the email address or the password is not correct"


def _key(settings: ContactsSettings, email: str) -> str:
    return signing.keyed_hash(secret=settings.party_secret, value=f"login:{email.strip().lower()}")


async def _locked_until(session: AsyncSession, key: str, now: datetime) -> datetime | None:
    row = await session.get(LoginThrottle, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: ContactsSettings,
    key: str,
    now: datetime,
) -> None:
    throttle = table(LoginThrottle)
    window = now - timedelta(minutes=settings.login_lock_minutes)
    dialect = sqlite if db.is_sqlite(settings.database_url) else postgresql
    fresh = throttle.c.window_started_at < window
    failures = sa.case((fresh, 1), else_=throttle.c.failures + 1)
    stmt = dialect.insert(throttle).values(
        key=key, failures=1, window_started_at=now, locked_until=None
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": failures,
            "window_started_at": sa.case((fresh, now), else_=throttle.c.window_started_at),
            "locked_until": sa.case(
                (
                    failures >= settings.login_max_failures,
                    now + timedelta(minutes=settings.login_lock_minutes),
                ),
                else_=None,
            ),
        },
    )
    # Its own transaction: the request itself fails, and the count must stay.
    async with db.transaction(sessionmaker) as session:
        await session.execute(stmt)


async def _roles_for(
    session: AsyncSession, account: StaffMember, campaign_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, list[Role]]:
    if campaign_id is None:
        if account.party_admin:
            return None, [Role.PARTY_ADMIN]
        campaigns = sorted(
            set(
                await session.scalars(
                    sa.select(col(StaffRole.campaign_id)).where(
                        col(StaffRole.staff_id) == account.id
                    )
                )
            )
        )
        if len(campaigns) != 1:
            reason = "name the campaign to work on" if campaigns else "you have no campaign role"
            raise problems.field_error("campaign_id", reason)
        campaign_id = campaigns[0]
    found = await session.get(Campaign, campaign_id)
    if found is None or found.party_id != account.party_id:
        raise problems.Forbidden("you have no role in this campaign")
    roles = [
        Role(r)
        for r in await repository.roles_in(session, staff_id=account.id, campaign_id=campaign_id)
    ]
    if account.party_admin:
        roles.append(Role.PARTY_ADMIN)
    if not roles:
        raise problems.Forbidden("you have no role in this campaign")
    return campaign_id, roles


async def _after_revocation(session: AsyncSession, subject: str, now: datetime) -> datetime:
    # Tokens carry whole seconds, and those issued at or before a revocation are refused:
    # a login in the very second of a revocation waits for the next one.
    revoked = await auth.revoked_at(session, subject)
    if revoked is not None and revoked >= now.replace(microsecond=0):
        wait = (revoked.replace(microsecond=0) + timedelta(seconds=1) - now).total_seconds()
        await asyncio.sleep(max(wait, 0) + 0.01)
        return db.utcnow()
    return now


async def login(
    *,
    body: LoginIn,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: ContactsSettings,
    now: datetime,
    metrics: ContactsMetrics,
) -> TokenOut:
    """Check the credentials and return an access token for the campaign asked for."""
    key = _key(settings, body.email)
    locked = await _locked_until(session, key, now)
    if locked is not None:
        retry = max(int((locked - now).total_seconds()) + 1, 1)
        metrics.login_locked.inc()
        raise problems.TooManyRequests(
            "too many failed logins for this account; try again later",
            headers={"Retry-After": str(retry)},
        )
    address = staff.normalise_login(body.email)
    account = None
    if address is not None:
        account = await session.scalar(
            sa.select(StaffMember).where(col(StaffMember.email) == address)
        )
    matches = passwords.verify(account.password_hash if account else None, body.password)
    if account is None or not matches or not account.active:
        await _record_failure(sessionmaker, settings=settings, key=key, now=now)
        metrics.login_failures.inc()
        raise problems.Unauthorized(WRONG)
    await session.execute(sa.delete(LoginThrottle).where(col(LoginThrottle.key) == key))
    campaign_id, roles = await _roles_for(session, account, body.campaign_id)
    issued = await _after_revocation(session, str(account.id), db.utcnow())
    ttl = timedelta(minutes=settings.access_token_minutes)
    token = auth.mint_token(
        settings=settings,
        subject=str(account.id),
        party_id=str(account.party_id),
        campaign_id=str(campaign_id) if campaign_id else None,
        roles=roles,
        ttl=ttl,
        now=issued,
    )
    return TokenOut(
        access_token=token,
        expires_at=issued.replace(microsecond=0) + ttl,
        campaign_id=campaign_id,
        roles=sorted(set(roles)),
    )
