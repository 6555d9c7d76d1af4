"""Tenant isolation (I4) and roles: every route refuses another campaign's (or party's) token,
demands a token, and a volunteer can do only what canvassing needs."""

from __future__ import annotations

import uuid

from world import STRONG_PASSWORD, World

from isoloir.auth import Role
from isoloir.testing import isolation

# What a volunteer may do; every other campaign route is for managers (or more).
VOLUNTEER_ROUTES = {
    "GET /v1/campaigns/{campaign_id}",
    "GET /v1/campaigns/{campaign_id}/contacts",
    "GET /v1/campaigns/{campaign_id}/contacts/{contact_id}",
    "POST /v1/campaigns/{campaign_id}/interactions",
    "GET /v1/campaigns/{campaign_id}/interactions",
    "GET /v1/campaigns/{campaign_id}/interactions/{interaction_id}",
}


async def victim_resources(world: World) -> dict[str, str]:
    """Create one of every resource in the campaign, so refusals prove isolation."""
    file = await world.create_file()
    contact = await world.create_contact(file["id"], email="victim@example.org")
    member = await world.client.post(
        world.path("/members"),
        json={
            "email": "vol@campagne.example.org",
            "display_name": "V",
            "password": STRONG_PASSWORD,
            "roles": ["volunteer"],
        },
        headers=world.manager(),
    )
    entry = await world.client.post(
        world.path("/interactions"),
        json={"kind": "call", "outcome": "met", "contact_id": contact["id"]},
        headers=world.volunteer(),
    )
    segment = await world.client.post(
        world.path("/segments"), json={"name": "s", "filters": {}}, headers=world.manager()
    )
    job = await world.client.post(
        world.path(f"/imports?file_id={file['id']}"),
        content=b"Email\nimported@example.org\n",
        headers={**world.manager(), "content-type": "text/csv"},
    )
    for r in (member, entry, segment, job):
        assert r.status_code in (201, 202), r.text
    return {
        "file_id": file["id"],
        "contact_id": contact["id"],
        "staff_id": member.json()["id"],
        "interaction_id": entry.json()["id"],
        "segment_id": segment.json()["id"],
        "import_id": job.json()["id"],
    }


class TestTenantIsolation:
    async def test_every_campaign_route_refuses_another_campaigns_token(self, world: World) -> None:
        values = await victim_resources(world)

        checked = await isolation.assert_campaign_routes_isolated(
            world.client,
            world.svc.app,
            tokens=world.tokens,
            campaign_id=world.campaign_id,
            path_values=values,
        )

        assert len(checked) >= 30
        still = await world.client.get(
            world.path(f"/contacts/{values['contact_id']}"), headers=world.manager()
        )
        assert still.status_code == 200  # nothing the intruder sent changed or deleted it

    async def test_every_route_but_login_demands_a_token(self, world: World) -> None:
        checked = await isolation.assert_token_required(world.client, world.svc.app)

        assert "POST /v1/auth/login" not in checked
        assert len(checked) >= 35

    async def test_every_party_route_refuses_another_partys_admin(self, world: World) -> None:
        intruder = world.tokens.headers(
            campaign_id=None, roles=[Role.PARTY_ADMIN], party_id=str(uuid.uuid4())
        )
        campaign_admin = world.tokens.headers(
            campaign_id=world.campaign_id,
            roles=[Role.CAMPAIGN_MANAGER],
            party_id=str(world.party_id),
        )
        routes = [
            e for e in isolation.endpoints(world.svc.app) if e.path.startswith("/v1/parties/")
        ]

        refused = []
        for endpoint in routes:
            path = isolation.fill_path(endpoint.path, {"party_id": str(world.party_id)})
            for method in endpoint.methods:
                for headers in (intruder, campaign_admin):
                    r = await world.client.request(
                        method, path, json={} if method != "GET" else None, headers=headers
                    )
                    assert r.status_code == 403, (method, endpoint.path, r.status_code, r.text)
                refused.append(f"{method} {endpoint.path}")

        assert len(refused) >= 8


class TestVolunteerLimits:
    async def test_a_volunteer_is_refused_everything_only_a_manager_may_do(
        self, world: World
    ) -> None:
        values = await victim_resources(world)
        volunteer = world.volunteer()

        allowed, refused = [], []
        for endpoint in isolation.campaign_routes(world.svc.app):
            path = isolation.fill_path(
                endpoint.path, {"campaign_id": str(world.campaign_id), **values}
            )
            for method in sorted(endpoint.methods):
                name = f"{method} {endpoint.path}"
                r = await world.client.request(
                    method, path, json={} if method != "GET" else None, headers=volunteer
                )
                if name in VOLUNTEER_ROUTES:
                    assert r.status_code != 403, (name, r.text)
                    allowed.append(name)
                else:
                    assert r.status_code == 403, (name, r.status_code, r.text)
                    refused.append(name)

        assert set(allowed) == VOLUNTEER_ROUTES
        assert "POST /v1/campaigns/{campaign_id}/imports" in refused
        assert "GET /v1/campaigns/{campaign_id}/segments/{segment_id}/contacts" in refused
        assert "POST /v1/campaigns/{campaign_id}/members/{staff_id}/deactivate" in refused
