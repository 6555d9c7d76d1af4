"""Parties, campaigns, staff accounts and login (R7)."""

from __future__ import annotations

import uuid

from bus import published
from world import STRONG_PASSWORD, World, campaign_body

from isoloir.auth import Role, decode_token


async def make_member(world: World, email: str, roles: list[str]) -> str:
    r = await world.client.post(
        world.path("/members"),
        json={
            "email": email,
            "display_name": "Jean Moulin",
            "password": STRONG_PASSWORD,
            "roles": roles,
        },
        headers=world.manager(),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def login(world: World, email: str, password: str = STRONG_PASSWORD, **extra: object):  # type: ignore[no-untyped-def]
    return await world.client.post(
        "/v1/auth/login", json={"email": email, "password": password, **extra}
    )


class TestCampaigns:
    async def test_a_party_admin_creates_a_campaign_that_is_published(self, world: World) -> None:
        campaign = world.campaign

        [event] = await published(world.svc, "campaign.upserted")

        assert campaign["party_name"] == "Parti des Sciences"
        assert campaign["candidate_name"] == "Marie Curie"
        assert len(campaign["election_rounds"]) == 2
        assert event.payload["campaign_id"] == campaign["id"]
        assert event.payload["party_name"] == "Parti des Sciences"
        assert event.payload["rights_contact_email"] == "droits@campagne.example.org"

    async def test_another_partys_admin_cannot_create_campaigns_here(self, world: World) -> None:
        intruder = world.tokens.headers(
            campaign_id=None, roles=[Role.PARTY_ADMIN], party_id=str(uuid.uuid4())
        )

        r = await world.client.post(
            f"/v1/parties/{world.party_id}/campaigns", json=campaign_body(), headers=intruder
        )

        assert r.status_code == 403
        assert "party" in r.json()["detail"]

    async def test_a_campaign_ending_before_its_last_round_is_refused(self, world: World) -> None:
        r = await world.client.post(
            f"/v1/parties/{world.party_id}/campaigns",
            json=campaign_body(ends_on="2020-01-01"),
            headers=world.admin(),
        )

        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "ends_on"

    async def test_a_manager_changes_the_candidate_and_a_volunteer_cannot(
        self, world: World
    ) -> None:
        volunteer = await world.client.patch(
            world.path(), json={"candidate_name": "Irène"}, headers=world.volunteer()
        )
        manager = await world.client.patch(
            world.path(), json={"candidate_name": "Irène Joliot-Curie"}, headers=world.manager()
        )

        assert volunteer.status_code == 403
        assert manager.status_code == 200
        assert manager.json()["candidate_name"] == "Irène Joliot-Curie"


class TestR07Passwords:
    async def test_r07_a_common_password_is_refused(self, world: World) -> None:
        r = await world.client.post(
            world.path("/members"),
            json={
                "email": "a@campagne.example.org",
                "display_name": "A",
                "password": "password1234",
                "roles": ["volunteer"],
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "password"
        assert "common" in r.json()["errors"][0]["reason"]

    async def test_r07_a_short_password_is_refused(self, world: World) -> None:
        r = await world.client.post(
            world.path("/members"),
            json={
                "email": "a@campagne.example.org",
                "display_name": "A",
                "password": "Xk9#pq2",
                "roles": ["volunteer"],
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert "at least 12" in r.json()["errors"][0]["reason"]

    async def test_r07_a_guessable_password_built_on_the_name_is_refused(
        self, world: World
    ) -> None:
        r = await world.client.post(
            world.path("/members"),
            json={
                "email": "jean.moulin@campagne.example.org",
                "display_name": "Jean Moulin",
                "password": "jeanmoulin2026",
                "roles": ["volunteer"],
            },
            headers=world.manager(),
        )

        assert r.status_code == 422

    async def test_r07_passwords_are_stored_as_argon2_hashes(self, world: World) -> None:
        staff_id = await make_member(world, "vol@campagne.example.org", ["volunteer"])

        from contacts_svc.models import StaffMember

        async with world.svc.kernel.sessionmaker() as session:
            account = await session.get(StaffMember, uuid.UUID(staff_id))
        assert account is not None
        assert account.password_hash.startswith("$argon2id$")
        assert STRONG_PASSWORD not in account.password_hash


class TestR07Login:
    async def test_r07_a_member_logs_in_with_the_roles_of_their_campaign(
        self, world: World
    ) -> None:
        await make_member(world, "vol@campagne.example.org", ["volunteer"])

        r = await login(world, "VOL@campagne.example.org")

        assert r.status_code == 200, r.text
        principal = decode_token(r.json()["access_token"], settings=world.svc.settings)
        assert principal.campaign_id == str(world.campaign_id)
        assert principal.roles == {Role.VOLUNTEER}

    async def test_r07_a_wrong_password_and_an_unknown_email_get_the_same_answer(
        self, world: World
    ) -> None:
        await make_member(world, "vol@campagne.example.org", ["volunteer"])

        wrong = await login(world, "vol@campagne.example.org", "not-the-password-at-all")
        unknown = await login(world, "nobody@campagne.example.org", "not-the-password-at-all")

        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()

    async def test_r07_repeated_failures_lock_the_account_even_with_the_right_password(
        self, world: World
    ) -> None:
        await make_member(world, "vol@campagne.example.org", ["volunteer"])
        for _ in range(5):
            assert (
                await login(world, "vol@campagne.example.org", "guess-guess-guess")
            ).status_code == 401

        locked = await login(world, "vol@campagne.example.org")
        unknown_locked = [await login(world, "ghost@campagne.example.org", "x") for _ in range(6)][
            -1
        ]

        assert locked.status_code == 429
        exposed = (await world.client.get("/metrics")).text
        assert "contacts_login_failures_total 10.0" in exposed  # five per address
        assert "contacts_login_locked_total 2.0" in exposed
        assert int(locked.headers["retry-after"]) > 0
        assert unknown_locked.status_code == 429  # no difference between known and unknown

    async def test_r07_a_party_admin_gets_a_token_for_any_campaign_of_the_party(
        self, world: World
    ) -> None:
        r = await world.client.post(
            f"/v1/parties/{world.party_id}/staff",
            json={
                "email": "admin@parti.example.org",
                "display_name": "Admin",
                "password": STRONG_PASSWORD,
                "party_admin": True,
            },
            headers=world.admin(),
        )
        assert r.status_code == 201, r.text

        party = await login(world, "admin@parti.example.org")
        campaign = await login(world, "admin@parti.example.org", campaign_id=str(world.campaign_id))

        assert (
            decode_token(party.json()["access_token"], settings=world.svc.settings).campaign_id
            is None
        )
        token = decode_token(campaign.json()["access_token"], settings=world.svc.settings)
        assert token.campaign_id == str(world.campaign_id)
        assert Role.PARTY_ADMIN in token.roles

    async def test_r07_a_member_gets_no_token_for_a_campaign_they_are_not_in(
        self, world: World
    ) -> None:
        await make_member(world, "vol@campagne.example.org", ["volunteer"])
        other = await world.create_campaign(candidate_name="Autre")

        r = await login(world, "vol@campagne.example.org", campaign_id=str(other))

        assert r.status_code == 403


class TestPartyStaff:
    async def test_a_party_admin_grants_campaign_roles_to_a_party_account(
        self, world: World
    ) -> None:
        created = await world.client.post(
            f"/v1/parties/{world.party_id}/staff",
            json={"email": "m@parti.example.org", "display_name": "M", "password": STRONG_PASSWORD},
            headers=world.admin(),
        )
        staff_id = created.json()["id"]

        granted = await world.client.put(
            f"/v1/parties/{world.party_id}/staff/{staff_id}/roles",
            json={"campaign_id": str(world.campaign_id), "roles": ["campaign_manager"]},
            headers=world.admin(),
        )
        token = await login(world, "m@parti.example.org")

        assert granted.status_code == 200, granted.text
        principal = decode_token(token.json()["access_token"], settings=world.svc.settings)
        assert principal.roles == {Role.CAMPAIGN_MANAGER}
        assert principal.campaign_id == str(world.campaign_id)

    async def test_party_admin_is_never_granted_per_campaign(self, world: World) -> None:
        staff_id = await make_member(world, "v@campagne.example.org", ["volunteer"])

        r = await world.client.put(
            f"/v1/parties/{world.party_id}/staff/{staff_id}/roles",
            json={"campaign_id": str(world.campaign_id), "roles": ["party_admin"]},
            headers=world.admin(),
        )

        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "roles"

    async def test_r07_a_party_admin_resets_a_password_and_old_tokens_die(
        self, world: World
    ) -> None:
        staff_id = await make_member(world, "v@campagne.example.org", ["volunteer"])
        old = (await login(world, "v@campagne.example.org")).json()["access_token"]

        r = await world.client.post(
            f"/v1/parties/{world.party_id}/staff/{staff_id}/password",
            json={"password": "girafe-tambour-citron-velours"},
            headers=world.admin(),
        )

        assert r.status_code == 200, r.text
        refused = await world.client.get(world.path(), headers={"Authorization": f"Bearer {old}"})
        assert refused.status_code == 401
        assert (
            await login(world, "v@campagne.example.org", "girafe-tambour-citron-velours")
        ).status_code == 200


class TestR07Revocation:
    async def test_r07_a_deactivated_member_can_no_longer_use_their_token_nor_log_in(
        self, world: World
    ) -> None:
        staff_id = await make_member(world, "vol@campagne.example.org", ["volunteer"])
        token = (await login(world, "vol@campagne.example.org")).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await world.client.get(world.path(), headers=headers)).status_code == 200

        r = await world.client.post(
            world.path(f"/members/{staff_id}/deactivate"), headers=world.manager()
        )

        assert r.status_code == 200
        refused = await world.client.get(world.path(), headers=headers)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]
        assert (await login(world, "vol@campagne.example.org")).status_code == 401
        [event] = await published(world.svc, "staff.revoked")
        assert (event.payload["staff_id"], event.payload["reason"]) == (staff_id, "deactivated")

    async def test_r07_a_password_reset_by_a_manager_revokes_old_tokens_and_the_new_one_works(
        self, world: World
    ) -> None:
        staff_id = await make_member(world, "vol@campagne.example.org", ["volunteer"])
        old = (await login(world, "vol@campagne.example.org")).json()["access_token"]
        new_password = "ornithorynque-velo-nuage-42"

        r = await world.client.post(
            world.path(f"/members/{staff_id}/password"),
            json={"password": new_password},
            headers=world.manager(),
        )
        fresh = await login(world, "vol@campagne.example.org", new_password)

        assert r.status_code == 200, r.text
        assert (
            await world.client.get(world.path(), headers={"Authorization": f"Bearer {old}"})
        ).status_code == 401
        assert fresh.status_code == 200
        ok = await world.client.get(
            world.path(), headers={"Authorization": f"Bearer {fresh.json()['access_token']}"}
        )
        assert ok.status_code == 200
        assert (await login(world, "vol@campagne.example.org")).status_code == 401

    async def test_r07_a_volunteer_cannot_manage_the_team(self, world: World) -> None:
        staff_id = await make_member(world, "vol@campagne.example.org", ["volunteer"])

        attempts = [
            await world.client.get(world.path("/members"), headers=world.volunteer()),
            await world.client.post(
                world.path(f"/members/{staff_id}/deactivate"), headers=world.volunteer()
            ),
            await world.client.post(
                world.path(f"/members/{staff_id}/password"),
                json={"password": STRONG_PASSWORD + "x"},
                headers=world.volunteer(),
            ),
            await world.client.put(
                world.path(f"/members/{staff_id}"),
                json={"roles": ["campaign_manager"]},
                headers=world.volunteer(),
            ),
        ]

        assert [a.status_code for a in attempts] == [403, 403, 403, 403]

    async def test_r07_taking_a_role_away_revokes_tokens_that_carry_it(self, world: World) -> None:
        staff_id = await make_member(world, "m@campagne.example.org", ["campaign_manager"])
        token = (await login(world, "m@campagne.example.org")).json()["access_token"]

        r = await world.client.put(
            world.path(f"/members/{staff_id}"),
            json={"roles": ["volunteer"]},
            headers=world.manager(),
        )

        assert r.status_code == 200
        refused = await world.client.get(
            world.path("/members"), headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
