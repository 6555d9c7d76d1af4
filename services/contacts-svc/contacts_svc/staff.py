"""Staff accounts and roles (R7): creation with a strong password, grants, revocation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import passwords, repository
from contacts_svc.config import ContactsSettings
from contacts_svc.models import StaffMember, StaffRole
from contacts_svc.schemas import StaffOut
from isoloir import auth, identity, problems
from isoloir.auth import Role
from isoloir.events.staff import StaffRevoked
from isoloir.outbox import Outbox

CAMPAIGN_ROLES = frozenset(
    {Role.CAMPAIGN_MANAGER, Role.VOLUNTEER, Role.RIGHTS_OFFICER, Role.OPS_VIEWER}
)
RevokeReason = Literal["deactivated", "password_reset", "role_changed", "logout_everywhere"]


def staff_out(account: StaffMember, roles: list[str] | None = None) -> StaffOut:
    """Return the public view of an account, with its roles in the campaign asked about."""
    return StaffOut(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        party_admin=account.party_admin,
        active=account.active,
        roles=[Role(r) for r in roles or []],
    )


def normalise_login(email: str) -> str | None:
    """Return the email as accounts store it, or None when it cannot be an address."""
    try:
        return identity.normalise_email(email)
    except identity.InvalidIdentifier:
        return None


def check_password(password: str, *, settings: ContactsSettings, email: str, name: str) -> None:
    """Refuse a weak password with a 422 naming the field and the reason."""
    local = email.split("@")[0]
    words = re.split(r"[^\w]+", f"{local} {name}")
    context = [email, local, name.replace(" ", ""), local.replace(".", ""), *words]
    reason = passwords.weakness(password, min_length=settings.password_min_length, context=context)
    if reason:
        raise problems.field_error("password", reason)


def check_roles(roles: Iterable[Role]) -> list[str]:
    """Return the roles as stored; party_admin is a party grant, not a campaign role."""
    chosen = sorted({Role(r).value for r in roles})
    if Role.PARTY_ADMIN.value in chosen:
        raise problems.field_error(
            "roles", "party_admin is granted on the party's staff account, not per campaign"
        )
    return chosen


async def create_account(
    session: AsyncSession,
    *,
    settings: ContactsSettings,
    party_id: uuid.UUID,
    email: str,
    display_name: str,
    password: str,
    party_admin: bool,
    now: datetime,
) -> StaffMember:
    """Create a staff account; refuse a taken email or a weak password."""
    address = normalise_login(email)
    if address is None:
        raise problems.field_error("email", "not a valid email address")
    check_password(password, settings=settings, email=address, name=display_name)
    taken = await session.scalar(
        sa.select(sa.func.count()).where(col(StaffMember.email) == address)
    )
    if taken:
        raise problems.Conflict(
            "an account already uses this email address",
            errors=[problems.FieldError(field="email", reason="already used by an account")],
        )
    account = StaffMember(
        party_id=party_id,
        email=address,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        party_admin=party_admin,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    return account


async def set_roles(
    session: AsyncSession, *, staff_id: uuid.UUID, campaign_id: uuid.UUID, roles: list[str]
) -> None:
    """Replace the member's roles in one campaign."""
    await session.execute(
        sa.delete(StaffRole).where(
            col(StaffRole.staff_id) == staff_id,
            col(StaffRole.campaign_id) == campaign_id,
        )
    )
    for role in roles:
        session.add(StaffRole(staff_id=staff_id, campaign_id=campaign_id, role=role))
    await session.flush()


async def change_roles(
    session: AsyncSession,
    *,
    outbox: Outbox,
    settings: ContactsSettings,
    staff_id: uuid.UUID,
    campaign_id: uuid.UUID,
    roles: list[str],
    now: datetime,
) -> None:
    """Set a member's roles in a campaign; a role taken away revokes the tokens carrying it."""
    before = await repository.roles_in(session, staff_id=staff_id, campaign_id=campaign_id)
    await set_roles(session, staff_id=staff_id, campaign_id=campaign_id, roles=roles)
    if set(before) - set(roles):
        await revoke(
            session,
            outbox=outbox,
            settings=settings,
            staff_id=staff_id,
            reason="role_changed",
            now=now,
        )


async def revoke(
    session: AsyncSession,
    *,
    outbox: Outbox,
    settings: ContactsSettings,
    staff_id: uuid.UUID,
    reason: RevokeReason,
    now: datetime,
) -> None:
    """Refuse every token issued so far, here at once and in every service through the event."""
    await auth.record_revocation(
        session, subject=str(staff_id), at=now, reason=reason, database_url=settings.database_url
    )
    await outbox.add(
        session,
        StaffRevoked(staff_id=str(staff_id), revoked_at=now, reason=reason),
        tenant_id=None,
        key=str(staff_id),
    )


async def deactivate(
    session: AsyncSession,
    *,
    outbox: Outbox,
    settings: ContactsSettings,
    account: StaffMember,
    now: datetime,
) -> None:
    """Close an account (someone left the team): no login, and no old token works anywhere."""
    account.active = False
    account.deactivated_at = now
    session.add(account)
    await revoke(
        session,
        outbox=outbox,
        settings=settings,
        staff_id=account.id,
        reason="deactivated",
        now=now,
    )


async def reset_password(
    session: AsyncSession,
    *,
    outbox: Outbox,
    settings: ContactsSettings,
    account: StaffMember,
    password: str,
    now: datetime,
) -> None:
    """Set a new password and revoke every token issued with the old one."""
    check_password(password, settings=settings, email=account.email, name=account.display_name)
    account.password_hash = passwords.hash_password(password)
    session.add(account)
    await revoke(
        session,
        outbox=outbox,
        settings=settings,
        staff_id=account.id,
        reason="password_reset",
        now=now,
    )
