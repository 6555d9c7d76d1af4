"""Tokens for tests, signed with the development key (which services accept in dev mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from isoloir import auth, devkeys
from isoloir.db import utcnow
from isoloir.settings import ServiceSettings

ALL_ROLES = tuple(auth.Role)


class _DevSettings(ServiceSettings):
    service_name = "tests"


class Tokens:
    """Mint tokens as the platform would, plus deliberately bad ones."""

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        self.settings = settings or _DevSettings(dev_mode=True, database_url="sqlite://")
        self.party_id = str(uuid.uuid4())

    def mint(
        self,
        *,
        campaign_id: str | uuid.UUID | None,
        roles: Iterable[auth.Role | str] = ALL_ROLES,
        subject: str | None = None,
        party_id: str | None = None,
        ttl: timedelta | None = None,
    ) -> str:
        return auth.mint_token(
            settings=self.settings,
            subject=subject or str(uuid.uuid4()),
            party_id=party_id or self.party_id,
            campaign_id=str(campaign_id) if campaign_id is not None else None,
            roles=roles,
            ttl=ttl,
        )

    def headers(self, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(**kwargs)}"}  # type: ignore[arg-type]

    def expired(self, *, campaign_id: str | uuid.UUID | None) -> str:
        return auth.mint_token(
            settings=self.settings,
            subject=str(uuid.uuid4()),
            party_id=self.party_id,
            campaign_id=str(campaign_id) if campaign_id else None,
            roles=ALL_ROLES,
            ttl=timedelta(minutes=5),
            now=utcnow() - timedelta(hours=2),
        )

    def badly_signed(self, *, campaign_id: str | uuid.UUID | None) -> str:
        private, _ = devkeys.generate_key_pair()
        forger = _DevSettings(
            dev_mode=True,
            database_url="sqlite://",
            jwt_private_key=private,
            jwt_public_key=devkeys.DEV_PUBLIC_KEY,
        )
        return auth.mint_token(
            settings=forger,
            subject=str(uuid.uuid4()),
            party_id=self.party_id,
            campaign_id=str(campaign_id) if campaign_id else None,
            roles=ALL_ROLES,
        )
