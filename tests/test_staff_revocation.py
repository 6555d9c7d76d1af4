"""A member deactivated in contacts-svc is refused by every service within one second (R7).

All five services run in-process, each on a database of its own, sharing the test broker.
Each gets a probe route guarded by the kernel's authentication (the dependency every real
route uses), so the check is the one a real request meets.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI

from analytics_svc.app import create_app as analytics_app
from analytics_svc.config import AnalyticsSettings
from consent_svc.app import create_app as consent_app
from consent_svc.config import ConsentSettings
from contacts_svc.app import create_app as contacts_app
from contacts_svc.config import ContactsSettings
from isoloir import auth, service
from isoloir.auth import Role
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually
from messaging_svc.app import create_app as messaging_app
from messaging_svc.config import MessagingSettings
from rights_svc.app import create_app as rights_app
from rights_svc.config import RightsSettings

PASSWORD = "cheval-agrafe-batterie-correct"
PROBE = "/v1/probe/whoami"


def with_probe(app: FastAPI) -> FastAPI:
    router = service.json_router()

    @router.get(PROBE)
    async def whoami(principal: auth.PrincipalDep) -> dict[str, str]:
        return {"subject": principal.subject}

    app.include_router(router)
    return app


async def _assigned(svc: RunningService) -> bool:
    consumer = svc.kernel.consumer.consumer
    return consumer is not None and bool(consumer.assignment())


class TestStaffRevocation:
    async def test_r07_a_deactivated_members_token_is_refused_by_every_service_within_one_second(
        self, service_settings: Any, tokens: Tokens
    ) -> None:
        builders = {
            "contacts": (contacts_app, ContactsSettings),
            "consent": (consent_app, ConsentSettings),
            "messaging": (messaging_app, MessagingSettings),
            "rights": (rights_app, RightsSettings),
            "analytics": (analytics_app, AnalyticsSettings),
        }
        async with AsyncExitStack() as stack:
            services: dict[str, RunningService] = {}
            for name, (create, settings_cls) in builders.items():
                settings = await service_settings(settings_cls)
                services[name] = await stack.enter_async_context(
                    running(with_probe(create(settings)))
                )
            contacts = services["contacts"]
            party = tokens.party_id
            admin = {
                "Authorization": f"Bearer {tokens.mint(campaign_id=None, roles=[Role.PARTY_ADMIN])}"
            }
            today = date.today()
            assert (
                await contacts.client.put(f"/v1/parties/{party}", json={"name": "P"}, headers=admin)
            ).is_success
            campaign = await contacts.client.post(
                f"/v1/parties/{party}/campaigns",
                json={
                    "candidate_name": "C",
                    "election_kind": "municipales",
                    "election_rounds": [str(today + timedelta(days=9))],
                    "territory": "T",
                    "ends_on": str(today + timedelta(days=30)),
                    "rights_contact_email": "d@example.org",
                },
                headers=admin,
            )
            member = await contacts.client.post(
                f"/v1/parties/{party}/staff",
                json={"email": "leaving@example.org", "display_name": "L", "password": PASSWORD},
                headers=admin,
            )
            campaign_id = campaign.json()["id"]
            manager = {
                "Authorization": "Bearer "
                + tokens.mint(campaign_id=campaign_id, roles=[Role.CAMPAIGN_MANAGER])
            }
            await contacts.client.put(
                f"/v1/campaigns/{campaign_id}/members/{member.json()['id']}",
                json={"roles": ["volunteer"]},
                headers=manager,
            )
            login = await contacts.client.post(
                "/v1/auth/login", json={"email": "leaving@example.org", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for name, svc in services.items():
                assert (await svc.client.get(PROBE, headers=headers)).status_code == 200, name
                await eventually(lambda svc=svc: _assigned(svc), timeout=30)

            started = time.monotonic()
            deactivated = await contacts.client.post(
                f"/v1/parties/{party}/staff/{member.json()['id']}/deactivate", headers=admin
            )
            assert deactivated.status_code == 200

            async def refused_after(svc: RunningService) -> float:
                while True:
                    if (await svc.client.get(PROBE, headers=headers)).status_code == 401:
                        return time.monotonic() - started
                    await asyncio.sleep(0.01)

            elapsed = dict(
                zip(
                    services,
                    await asyncio.gather(
                        *(asyncio.wait_for(refused_after(s), 5) for s in services.values())
                    ),
                    strict=True,
                )
            )

        print({name: round(seconds, 3) for name, seconds in elapsed.items()})
        assert set(elapsed) == {"contacts", "consent", "messaging", "rights", "analytics"}
        assert all(seconds < 1.0 for seconds in elapsed.values()), elapsed
        assert uuid.UUID(member.json()["id"])
