"""A small driver of the API for tests: a party, its campaigns and tokens of each role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from isoloir.auth import Role
from isoloir.testing.plugin import RunningService
from isoloir.testing.tokens import Tokens

STRONG_PASSWORD = "cheval-agrafe-batterie-correct"


def campaign_body(**overrides: Any) -> dict[str, Any]:
    today = date.today()
    body: dict[str, Any] = {
        "candidate_name": "Marie Curie",
        "election_kind": "municipales",
        "election_rounds": [str(today + timedelta(days=60)), str(today + timedelta(days=67))],
        "territory": "Brest (29019)",
        "ends_on": str(today + timedelta(days=120)),
        "rights_contact_email": "droits@campagne.example.org",
    }
    body.update(overrides)
    return body


@dataclass
class World:
    svc: RunningService
    tokens: Tokens
    party_id: uuid.UUID
    campaign_id: uuid.UUID = field(default_factory=uuid.uuid4)
    campaign: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def build(cls, svc: RunningService, tokens: Tokens) -> World:
        """Register a party (the tokens' own) with one campaign."""
        built = cls(svc=svc, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
        await built.register_party()
        await built.create_campaign()
        return built

    @property
    def client(self) -> httpx.AsyncClient:
        return self.svc.client

    def admin(self) -> dict[str, str]:
        return self.tokens.headers(
            campaign_id=None, roles=[Role.PARTY_ADMIN], party_id=str(self.party_id)
        )

    def as_role(
        self, *roles: Role, campaign_id: uuid.UUID | None = None, subject: str | None = None
    ) -> dict[str, str]:
        return self.tokens.headers(
            campaign_id=campaign_id or self.campaign_id,
            roles=list(roles),
            party_id=str(self.party_id),
            subject=subject,
        )

    def manager(self, campaign_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.as_role(Role.CAMPAIGN_MANAGER, campaign_id=campaign_id)

    def volunteer(self) -> dict[str, str]:
        return self.as_role(Role.VOLUNTEER)

    def path(self, suffix: str = "", campaign_id: uuid.UUID | None = None) -> str:
        return f"/v1/campaigns/{campaign_id or self.campaign_id}{suffix}"

    async def register_party(self, name: str = "Parti des Sciences") -> None:
        r = await self.client.put(
            f"/v1/parties/{self.party_id}", json={"name": name}, headers=self.admin()
        )
        assert r.status_code == 200, r.text

    async def create_campaign(self, **overrides: Any) -> uuid.UUID:
        r = await self.client.post(
            f"/v1/parties/{self.party_id}/campaigns",
            json=campaign_body(**overrides),
            headers=self.admin(),
        )
        assert r.status_code == 201, r.text
        if not self.campaign:
            self.campaign = r.json()
            self.campaign_id = uuid.UUID(r.json()["id"])
        return uuid.UUID(r.json()["id"])

    async def create_file(
        self, campaign_id: uuid.UUID | None = None, **overrides: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Adhérents 2026",
            "purpose": "Inform party members of the campaign's meetings",
            "provenance": "party_members",
        }
        body.update(overrides)
        r = await self.client.post(
            self.path("/files", campaign_id), json=body, headers=self.manager(campaign_id)
        )
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    async def create_contact(
        self, file_id: str, campaign_id: uuid.UUID | None = None, **fields: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"file_id": file_id, "kind": "regular", "origin": "party_file"}
        body.update(fields)
        r = await self.client.post(
            self.path("/contacts", campaign_id), json=body, headers=self.manager(campaign_id)
        )
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result
