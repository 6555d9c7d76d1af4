"""Contacts: origin (R2), social networks (R13), occasional vs regular (R14), duplicates."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from bus import publish
from world import World

from isoloir import identity
from isoloir.events import consent as consent_ev
from isoloir.testing.waiting import eventually

# One service for the module: each test works in a party and campaign of its own.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def world(shared_world: World) -> World:
    return shared_world


def post(world: World, file_id: str, **fields: object):  # type: ignore[no-untyped-def]
    body = {"file_id": file_id, "kind": "regular", "origin": "party_file", **fields}
    return world.client.post(world.path("/contacts"), json=body, headers=world.manager())


class TestR02Origin:
    async def test_r02_a_contact_without_an_origin_is_refused(self, world: World) -> None:
        file = await world.create_file()

        r = await world.client.post(
            world.path("/contacts"),
            json={"file_id": file["id"], "kind": "regular", "email": "a@example.org"},
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert {"field": "body.origin", "reason": "this field is required"} in r.json()["errors"]

    async def test_r02_an_origin_that_does_not_fit_the_file_is_refused(self, world: World) -> None:
        file = await world.create_file(provenance="opt_in_prospecting")

        r = await post(world, file["id"], origin="canvassing", email="a@example.org")

        assert r.status_code == 422
        assert r.json()["rule"] == "R2"
        assert r.json()["errors"][0]["field"] == "origin"

    async def test_r02_the_contact_carries_its_origin_and_file(self, world: World) -> None:
        file = await world.create_file(provenance="campaign_collection")

        contact = await world.create_contact(file["id"], origin="event", email="a@example.org")

        assert (contact["origin"], contact["file_id"]) == ("event", file["id"])


class TestContactValues:
    async def test_email_and_phone_are_normalised_and_hashed(self, world: World) -> None:
        file = await world.create_file()

        contact = await world.create_contact(
            file["id"], email=" Marie.Curie@Example.ORG ", phone="06 12 34 56 78"
        )

        assert contact["email"] == "marie.curie@example.org"
        assert contact["phone"] == "+33612345678"
        from contacts_svc.models import Contact

        async with world.svc.kernel.sessionmaker() as session:
            stored = await session.get(Contact, uuid.UUID(contact["id"]))
        secret = world.svc.settings.party_secret
        assert stored is not None
        assert stored.email_hash == identity.email_hash(
            secret=secret, email="marie.curie@example.org"
        )
        assert stored.phone_hash == identity.phone_hash(secret=secret, phone="+33612345678")

    async def test_every_bad_value_is_named_with_its_reason(self, world: World) -> None:
        file = await world.create_file()

        r = await post(
            world,
            file["id"],
            email="not-an-email",
            phone="12",
            birth_year=1850,
            sex="X",
            support_level=9,
        )

        assert r.status_code == 422
        named = {e["field"] for e in r.json()["errors"]}
        assert named == {"email", "phone", "birth_year", "sex", "support_level"}

    async def test_a_second_contact_with_the_same_email_is_a_conflict_naming_the_first(
        self, world: World
    ) -> None:
        file = await world.create_file()
        first = await world.create_contact(file["id"], email="a@example.org")

        r = await post(world, file["id"], email="A@example.org")

        assert r.status_code == 409
        assert r.json()["existing_id"] == first["id"]

    async def test_a_person_on_the_opposition_list_is_never_created(self, world: World) -> None:
        file = await world.create_file()
        secret = world.svc.settings.party_secret
        opposed = identity.email_hash(secret=secret, email="gone@example.org")
        await publish(
            world.svc,
            consent_ev.OppositionAdded(
                email_hash=opposed, source="objection", optout_seq=1, occurred_at=_now()
            ),
            tenant_id=None,
            key=opposed,
        )

        async def refused() -> bool:
            r = await post(world, file["id"], email="Gone@example.org")
            return r.status_code == 409 and "opposition" in r.json()["detail"]

        assert await eventually(refused, timeout=15)

    async def test_a_volunteer_reads_contacts_but_cannot_write_them(self, world: World) -> None:
        file = await world.create_file()
        contact = await world.create_contact(file["id"], email="a@example.org")

        read = await world.client.get(
            world.path(f"/contacts/{contact['id']}"), headers=world.volunteer()
        )
        write = await world.client.patch(
            world.path(f"/contacts/{contact['id']}"),
            json={"first_name": "X"},
            headers=world.volunteer(),
        )
        delete = await world.client.delete(
            world.path(f"/contacts/{contact['id']}"), headers=world.volunteer()
        )
        create = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "email": "b@example.org",
            },
            headers=world.volunteer(),
        )

        assert read.status_code == 200
        assert [write.status_code, delete.status_code, create.status_code] == [403, 403, 403]

    async def test_contacts_are_listed_a_page_at_a_time(self, world: World) -> None:
        file = await world.create_file()
        for i in range(5):
            await world.create_contact(file["id"], email=f"p{i}@example.org")

        first = await world.client.get(world.path("/contacts?limit=3"), headers=world.manager())
        second = await world.client.get(
            world.path(f"/contacts?limit=3&after={first.json()['next_after']}"),
            headers=world.manager(),
        )

        ids = [c["id"] for c in first.json()["items"] + second.json()["items"]]
        assert len(ids) == len(set(ids)) == 5
        assert second.json()["next_after"] is None


class TestR14Enrichment:
    async def test_r14_tags_interests_notes_and_support_level_are_refused_for_occasional_contacts(
        self, world: World
    ) -> None:
        file = await world.create_file()

        r = await post(
            world,
            file["id"],
            kind="occasional",
            email="a@example.org",
            tags=["bénévole"],
            interests=["vélo"],
            notes="à rappeler",
            support_level=4,
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R14"
        assert {e["field"] for e in r.json()["errors"]} == {
            "tags",
            "interests",
            "notes",
            "support_level",
        }

    async def test_r14_a_regular_contact_may_hold_enrichment(self, world: World) -> None:
        file = await world.create_file()

        contact = await world.create_contact(
            file["id"], email="a@example.org", tags=["vélo", "bénévole"], support_level=4
        )

        assert contact["tags"] == ["bénévole", "vélo"]

    async def test_r14_turning_an_enriched_contact_occasional_is_refused(
        self, world: World
    ) -> None:
        file = await world.create_file()
        contact = await world.create_contact(file["id"], email="a@example.org", tags=["vélo"])

        r = await world.client.patch(
            world.path(f"/contacts/{contact['id']}"),
            json={"kind": "occasional"},
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R14"

    async def test_r14_a_withdrawal_removes_the_enrichment_of_a_regular_contact(
        self, world: World
    ) -> None:
        file = await world.create_file()
        contact = await world.create_contact(
            file["id"],
            email="a@example.org",
            tags=["vélo"],
            interests=["sport"],
            notes="à rappeler",
            support_level=3,
        )
        await publish(
            world.svc,
            _consent(world, contact["id"], consent_ev.ConsentWithdrawn, "withdrawn"),
            tenant_id=str(world.campaign_id),
            key=contact["id"],
        )

        async def stripped() -> dict | None:  # type: ignore[type-arg]
            r = await world.client.get(
                world.path(f"/contacts/{contact['id']}"), headers=world.manager()
            )
            body = r.json()
            return body if body["tags"] is None else None

        body = await eventually(stripped, timeout=15)
        assert (body["interests"], body["notes"], body["support_level"]) == (None, None, None)
        assert body["kind"] == "occasional"
        assert body["email"] == "a@example.org"


class TestR13SocialNetworks:
    async def test_r13_a_social_network_file_needs_an_information_notice(
        self, world: World
    ) -> None:
        r = await world.client.post(
            world.path("/files"),
            json={"name": "Abonnés", "purpose": "y", "provenance": "social_network"},
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R13"
        assert r.json()["errors"][0]["field"] == "notice_reference"

    async def test_r13_social_network_contacts_stay_occasional_until_they_consent(
        self, world: World
    ) -> None:
        file = await world.create_file(
            provenance="social_network", notice_reference="notice-fb-2026-01"
        )

        regular = await post(world, file["id"], origin="social_network", email="a@example.org")
        occasional = await world.create_contact(
            file["id"], kind="occasional", origin="social_network", email="a@example.org"
        )
        upgrade = await world.client.patch(
            world.path(f"/contacts/{occasional['id']}"),
            json={"kind": "regular"},
            headers=world.manager(),
        )

        assert regular.status_code == 422
        assert regular.json()["rule"] == "R13"
        assert upgrade.status_code == 422
        assert upgrade.json()["rule"] == "R13"

    async def test_r13_a_social_network_contact_that_consented_may_become_regular(
        self, world: World
    ) -> None:
        file = await world.create_file(
            provenance="social_network", notice_reference="notice-fb-2026-01"
        )
        contact = await world.create_contact(
            file["id"], kind="occasional", origin="social_network", email="a@example.org"
        )
        await publish(
            world.svc,
            _consent(world, contact["id"], consent_ev.ConsentGranted, "granted"),
            tenant_id=str(world.campaign_id),
            key=contact["id"],
        )

        async def upgraded() -> bool:
            r = await world.client.patch(
                world.path(f"/contacts/{contact['id']}"),
                json={"kind": "regular"},
                headers=world.manager(),
            )
            return r.status_code == 200 and r.json()["kind"] == "regular"

        assert await eventually(upgraded, timeout=15)


def _now():  # type: ignore[no-untyped-def]
    from isoloir.db import utcnow

    return utcnow()


def _consent(world: World, contact_id: str, cls: type, state: str, purpose: str = "newsletter"):  # type: ignore[no-untyped-def]
    return cls(
        entry_id=uuid.uuid4(),
        contact_id=uuid.UUID(contact_id),
        campaign_id=world.campaign_id,
        channel="email",
        purpose=purpose,
        state=state,
        previous_state="granted" if state != "granted" else None,
        method="web_form",
        occurred_at=_now(),
    )
