"""A party's staff at work in both services: campaigns, files, contacts, consents, forms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from journeys_support import Platform, until

from isoloir.auth import Role
from isoloir.testing.tokens import Tokens

NOTICE = {"text": "Notice read to the person at the campaign stand, version 2.", "language": "fr"}


@dataclass
class Team:
    """One party's staff working in both services: campaigns, files, contacts, consents."""

    platform: Platform
    tokens: Tokens = field(default_factory=Tokens)
    campaign_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @classmethod
    async def register(cls, platform: Platform) -> Team:
        """Register a new party in contacts-svc with one campaign."""
        team = cls(platform=platform)
        r = await team.contacts.put(
            f"/v1/parties/{team.party_id}", json={"name": "Parti Exemple"}, headers=team.admin()
        )
        assert r.status_code == 200, r.text
        team.campaign_id = await team.create_campaign()
        return team

    @property
    def party_id(self) -> str:
        return self.tokens.party_id

    @property
    def contacts(self) -> httpx.AsyncClient:
        return self.platform.contacts.client

    @property
    def consent(self) -> httpx.AsyncClient:
        return self.platform.consent.client

    def admin(self) -> dict[str, str]:
        return self.tokens.headers(campaign_id=None, roles=[Role.PARTY_ADMIN])

    def manager(self, campaign_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.tokens.headers(
            campaign_id=campaign_id or self.campaign_id, roles=[Role.CAMPAIGN_MANAGER]
        )

    def path(self, suffix: str, campaign_id: uuid.UUID | None = None) -> str:
        return f"/v1/campaigns/{campaign_id or self.campaign_id}{suffix}"

    async def create_campaign(
        self, candidate_name: str = "Marie Curie", *, ends_in_days: int = 120
    ) -> uuid.UUID:
        today = date.today()
        r = await self.contacts.post(
            f"/v1/parties/{self.party_id}/campaigns",
            json={
                "candidate_name": candidate_name,
                "election_kind": "municipales",
                "election_rounds": [str(today + timedelta(days=ends_in_days - 60))],
                "territory": "Brest (29019)",
                "ends_on": str(today + timedelta(days=ends_in_days)),
                "rights_contact_email": "droits@campagne.example.org",
            },
            headers=self.admin(),
        )
        assert r.status_code == 201, r.text
        return uuid.UUID(r.json()["id"])

    # contacts-svc

    async def create_file(
        self, campaign_id: uuid.UUID | None = None, **overrides: Any
    ) -> dict[str, Any]:
        body = {
            "name": "Adhérents 2026",
            "purpose": "Inform party members of the campaign's meetings",
            "provenance": "party_members",
            **overrides,
        }
        r = await self.contacts.post(
            self.path("/files", campaign_id), json=body, headers=self.manager(campaign_id)
        )
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def post_contact(
        self, file_id: str, campaign_id: uuid.UUID | None = None, **fields: Any
    ) -> httpx.Response:
        body = {"file_id": file_id, "kind": "regular", "origin": "party_file", **fields}
        return await self.contacts.post(
            self.path("/contacts", campaign_id), json=body, headers=self.manager(campaign_id)
        )

    async def create_contact(
        self, file_id: str, campaign_id: uuid.UUID | None = None, **fields: Any
    ) -> dict[str, Any]:
        r = await self.post_contact(file_id, campaign_id, **fields)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def contact(
        self, contact_id: uuid.UUID | str, campaign_id: uuid.UUID | None = None
    ) -> httpx.Response:
        return await self.contacts.get(
            self.path(f"/contacts/{contact_id}", campaign_id), headers=self.manager(campaign_id)
        )

    async def contact_list(self, campaign_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        r = await self.contacts.get(
            self.path("/contacts", campaign_id), headers=self.manager(campaign_id)
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    # consent-svc

    async def define_purpose(
        self, key: str = "newsletter", campaign_id: uuid.UUID | None = None
    ) -> None:
        r = await self.consent.post(
            self.path("/purposes", campaign_id),
            json={
                "key": key,
                "label_fr": "Lettre de campagne",
                "label_en": "Campaign letter",
                "description_fr": "Nos nouvelles de campagne.",
                "description_en": "Our campaign news.",
            },
            headers=self.manager(campaign_id),
        )
        assert r.status_code == 201, r.text

    async def publish_form(
        self,
        offers: list[tuple[str, str]],
        *,
        contact_kind: str = "regular",
        campaign_id: uuid.UUID | None = None,
    ) -> str:
        body = {
            "name": "Rejoignez-nous",
            "title": {"fr": "Restez informé(e)", "en": "Stay informed"},
            "controller_identity": {"fr": "Parti Exemple, 1 rue de la République, 75001 Paris"},
            "purposes_notice": {"fr": "Vous informer de la campagne."},
            "retention": {"fr": "Jusqu'à la fin de la campagne."},
            "rights": {"fr": "Accès, rectification, effacement, portabilité, opposition."},
            "rights_address": "droits@parti-exemple.fr",
            "offers": [{"channel": c, "purpose": p} for c, p in offers],
            "contact_kind": contact_kind,
        }
        r = await self.consent.post(
            self.path("/forms", campaign_id), json=body, headers=self.manager(campaign_id)
        )
        assert r.status_code == 201, r.text
        form_id = str(r.json()["id"])
        published = await self.consent.post(
            self.path(f"/forms/{form_id}/publish", campaign_id), headers=self.manager(campaign_id)
        )
        assert published.status_code == 201, published.text
        return form_id

    async def record_consent(
        self,
        contact_id: uuid.UUID | str,
        state: str,
        *,
        channel: str = "email",
        purpose: str = "newsletter",
        campaign_id: uuid.UUID | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "channel": channel,
            "purpose": purpose,
            "state": state,
            "method": "paper_form",
            **extra,
        }
        if state == "granted":
            body.setdefault("notice", NOTICE)
        return await self.consent.post(
            self.path(f"/contacts/{contact_id}/consents", campaign_id),
            json=body,
            headers=self.manager(campaign_id),
        )

    async def consents(
        self, contact_id: uuid.UUID | str, campaign_id: uuid.UUID | None = None
    ) -> httpx.Response:
        return await self.consent.get(
            self.path(f"/contacts/{contact_id}/consents", campaign_id),
            headers=self.manager(campaign_id),
        )

    async def known_to_consent(
        self, contact_id: uuid.UUID | str, campaign_id: uuid.UUID | None = None
    ) -> dict[str, Any]:
        """Wait until consent-svc has read the contact's contact.created; return its states."""

        async def known() -> dict[str, Any] | None:
            r = await self.consents(contact_id, campaign_id)
            return r.json() if r.status_code == 200 else None

        return await until(known)

    async def ledger(self, campaign_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        r = await self.consent.get(
            self.path("/ledger/entries?limit=1000", campaign_id), headers=self.manager(campaign_id)
        )
        assert r.status_code == 200, r.text
        entries: list[dict[str, Any]] = r.json()["entries"]
        return entries

    async def verify_ledger(self, campaign_id: uuid.UUID | None = None) -> dict[str, Any]:
        r = await self.consent.get(
            self.path("/ledger/verify", campaign_id), headers=self.manager(campaign_id)
        )
        assert r.status_code == 200, r.text
        report: dict[str, Any] = r.json()
        return report

    async def unsubscribe_path(self, contact_id: uuid.UUID | str, channel: str = "email") -> str:
        """Mint the signed per-message unsubscribe link as messaging-svc will; return its path."""
        r = await self.consent.post(
            self.path("/unsubscribe-links"),
            json={
                "channel": channel,
                "items": [{"contact_id": str(contact_id), "message_id": "m1"}],
            },
            headers=self.manager(),
        )
        assert r.status_code == 201, r.text
        [link] = r.json()
        assert link["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
        return "/u/" + str(link["url"]).split("/u/", 1)[1]

    async def opposition_check(
        self, *, email: str | None = None, phone: str | None = None
    ) -> dict[str, Any]:
        r = await self.consent.post(
            self.path("/opposition/check"),
            json={"email": email, "phone": phone},
            headers=self.manager(),
        )
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found


async def form_contact(team: Team, *, channel: str, before: set[str]) -> uuid.UUID:
    """Return the contact id of the newest web-form grant on a channel (from the ledger API)."""
    entries = [
        e
        for e in await team.ledger()
        if e["method"] == "web_form" and e["channel"] == channel and e["id"] not in before
    ]
    assert len(entries) == 1, entries
    return uuid.UUID(entries[0]["contact_id"])
