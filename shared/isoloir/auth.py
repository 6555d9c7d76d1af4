"""Bearer tokens: Ed25519-signed JWTs carrying subject, party, campaign and roles.

Only the issuer (contacts-svc at login, and the CLI for the bootstrap token) holds the private
key; every service verifies with the public key. Revocation is an event (`staff.revoked`)
every service records, so a departed member's tokens are refused everywhere at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from isoloir import problems
from isoloir.consumer import EventContext
from isoloir.db import is_sqlite, revoked_subjects_table, utcnow
from isoloir.events.staff import StaffRevoked
from isoloir.http import SessionDep
from isoloir.settings import ServiceSettings

ALGORITHM = "EdDSA"


class Role(StrEnum):
    PARTY_ADMIN = "party_admin"
    CAMPAIGN_MANAGER = "campaign_manager"
    VOLUNTEER = "volunteer"
    RIGHTS_OFFICER = "rights_officer"
    OPS_VIEWER = "ops_viewer"


class Principal(BaseModel):
    """Who is calling, for which party and campaign, with which roles."""

    subject: str
    party_id: str
    campaign_id: str | None
    roles: frozenset[Role]
    issued_at: datetime
    expires_at: datetime
    token_id: str

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & set(roles))


def mint_token(
    *,
    settings: ServiceSettings,
    subject: str,
    party_id: str,
    campaign_id: str | None,
    roles: Iterable[Role | str],
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """Sign an access token; only a holder of the private key can."""
    if not settings.jwt_private_key:
        raise RuntimeError("this service has no token signing key (jwt_private_key)")
    issued = now or utcnow()
    lifetime = ttl or timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "pty": party_id,
        "cmp": campaign_id,
        "roles": sorted({Role(r).value for r in roles}),
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_private_key, algorithm=ALGORITHM)


def decode_token(token: str, *, settings: ServiceSettings) -> Principal:
    """Verify a token's signature, issuer, audience and expiry; raise Unauthorized if bad."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_public_key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise problems.Unauthorized("the token has expired") from None
    except jwt.InvalidSignatureError:
        raise problems.Unauthorized("the token signature is not valid") from None
    except jwt.PyJWTError as exc:
        raise problems.Unauthorized(f"the token is not valid: {exc}") from None
    try:
        return Principal(
            subject=str(claims["sub"]),
            party_id=str(claims["pty"]),
            campaign_id=claims.get("cmp"),
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
            issued_at=datetime.fromtimestamp(claims["iat"], tz=utcnow().tzinfo),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=utcnow().tzinfo),
            token_id=str(claims["jti"]),
        )
    except (KeyError, ValueError):
        raise problems.Unauthorized("the token lacks required claims") from None


async def revoked_at(session: AsyncSession, subject: str) -> datetime | None:
    """Return when a subject's tokens were last revoked, if ever."""
    return await session.scalar(
        sa.select(revoked_subjects_table.c.revoked_at).where(
            revoked_subjects_table.c.subject == subject
        )
    )


async def record_revocation(
    session: AsyncSession, *, subject: str, at: datetime, reason: str, database_url: str
) -> None:
    """Refuse every token of `subject` issued at or before `at` (keeps the latest time)."""
    dialect: Any = sqlite if is_sqlite(database_url) else postgresql
    stmt = dialect.insert(revoked_subjects_table).values(
        subject=subject, revoked_at=at, reason=reason
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject"],
        set_={"revoked_at": stmt.excluded.revoked_at, "reason": stmt.excluded.reason},
        where=revoked_subjects_table.c.revoked_at < stmt.excluded.revoked_at,
    )
    await session.execute(stmt)


async def on_staff_revoked(payload: StaffRevoked, *, ctx: EventContext) -> None:
    """Record a revocation published by the staff directory."""
    await record_revocation(
        ctx.session,
        subject=payload.staff_id,
        at=payload.revoked_at,
        reason=payload.reason,
        database_url=ctx.settings.database_url,
    )


KERNEL_HANDLERS = {StaffRevoked.event_type: [on_staff_revoked]}

_bearer = HTTPBearer(auto_error=False, description="Access token from /v1/auth/login")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: SessionDep,
) -> Principal:
    """Return the caller, or refuse: no token, bad token, expired, or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise problems.Unauthorized("a bearer token is required")
    principal = decode_token(credentials.credentials, settings=request.app.state.kernel.settings)
    # The request's own session: one connection and one transaction per request.
    revoked = await revoked_at(session, principal.subject)
    if revoked is not None and principal.issued_at <= revoked:
        raise problems.Unauthorized("the token has been revoked")
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[..., Any]:
    """Return a dependency that admits only callers holding one of `roles`."""
    wanted = frozenset(roles)

    async def _check(principal: PrincipalDep) -> Principal:
        if not principal.roles & wanted:
            names = ", ".join(sorted(r.value for r in wanted))
            raise problems.Forbidden(f"this action requires one of the roles: {names}")
        return principal

    return _check


def require_campaign(*roles: Role) -> Callable[..., Any]:
    """Return a dependency for `/campaigns/{campaign_id}/...` routes.

    The token must be scoped to that very campaign (tenant isolation) and, when `roles` are
    given, carry one of them.
    """
    wanted = frozenset(roles)

    async def _check(campaign_id: uuid.UUID, principal: PrincipalDep) -> Principal:
        if principal.campaign_id != str(campaign_id):
            raise problems.Forbidden("this token is not valid for this campaign")
        if wanted and not principal.roles & wanted:
            names = ", ".join(sorted(r.value for r in wanted))
            raise problems.Forbidden(f"this action requires one of the roles: {names}")
        return principal

    return _check
