"""Contact files: provenance (R8), retention and purge (R9), reuse with consent (R9)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from world import World

from contacts_svc import purge
from contacts_svc.models import Contact, ContactFile, Interaction
from isoloir import db
from isoloir.db import outbox_table
from isoloir.events import consent as consent_ev
from isoloir.testing.waiting import eventually


class TestR08Provenance:
    async def test_r08_files_from_a_mandate_authority_association_or_company_are_refused(
        self, world: World
    ) -> None:
        refused = {}
        for provenance in ("elected_mandate", "local_authority", "association", "company"):
            r = await world.client.post(
                world.path("/files"),
                json={"name": "x", "purpose": "y", "provenance": provenance},
                headers=world.manager(),
            )
            refused[provenance] = r

        for provenance, r in refused.items():
            assert r.status_code == 422, provenance
            assert r.json()["rule"] == "R8"
            assert r.json()["errors"][0]["field"] == "provenance"
        assert "mandate" in refused["elected_mandate"].json()["detail"]
        assert "association" in refused["association"].json()["detail"]

    async def test_r08_every_allowed_provenance_is_accepted(self, world: World) -> None:
        for provenance in (
            "electoral_list",
            "party_members",
            "party_supporters",
            "opt_in_prospecting",
            "campaign_collection",
        ):
            await world.create_file(provenance=provenance, name=provenance)
        await world.create_file(provenance="social_network", notice_reference="notice-2026-03")
        await world.create_file(provenance="rented_list", notice_reference="contract 12, art. 4")

        listed = await world.client.get(world.path("/files"), headers=world.manager())

        assert len(listed.json()) == 7

    async def test_r08_a_rented_list_needs_its_political_use_notice(self, world: World) -> None:
        r = await world.client.post(
            world.path("/files"),
            json={"name": "x", "purpose": "y", "provenance": "rented_list"},
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "notice_reference"

    async def test_r08_electoral_list_contacts_are_occasional_and_reached_by_post_only(
        self, world: World
    ) -> None:
        file = await world.create_file(provenance="electoral_list")

        r = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "occasional",
                "origin": "electoral_list",
                "last_name": "Curie",
                "email": "m.curie@example.org",
            },
            headers=world.manager(),
        )
        ok = await world.create_contact(
            file["id"],
            kind="occasional",
            origin="electoral_list",
            last_name="Curie",
            postal_address="1 rue de Siam, 29200 Brest",
            polling_station="29019-0012",
            birth_year=1967,
            sex="F",
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R8"
        assert ok["polling_station"] == "29019-0012"

    async def test_r08_a_file_is_never_visible_from_another_campaign(self, world: World) -> None:
        file = await world.create_file()
        other = await world.create_campaign(candidate_name="Autre")

        r = await world.client.get(
            world.path(f"/files/{file['id']}", other), headers=world.manager(other)
        )

        assert r.status_code == 404


class TestR09Retention:
    async def test_r09_the_retention_end_defaults_to_the_campaigns_end(self, world: World) -> None:
        file = await world.create_file()

        assert file["retention_ends_on"] == world.campaign["ends_on"]

    async def test_r09_a_retention_end_after_the_campaign_is_refused(self, world: World) -> None:
        later = date.fromisoformat(world.campaign["ends_on"]) + timedelta(days=1)

        r = await world.client.post(
            world.path("/files"),
            json={
                "name": "x",
                "purpose": "y",
                "provenance": "party_members",
                "retention_ends_on": str(later),
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R9"

    async def test_r09_ending_the_campaign_earlier_brings_every_file_retention_back(
        self, world: World
    ) -> None:
        file = await world.create_file()
        sooner = date.fromisoformat(world.campaign["election_rounds"][-1]) + timedelta(days=1)

        r = await world.client.patch(
            world.path(), json={"ends_on": str(sooner)}, headers=world.manager()
        )

        assert r.status_code == 200, r.text
        moved = await world.client.get(world.path(f"/files/{file['id']}"), headers=world.manager())
        assert moved.json()["retention_ends_on"] == str(sooner)

    async def test_r09_the_purge_deletes_expired_contacts_everywhere_and_reports_it(
        self, world: World
    ) -> None:
        kept = await world.create_file(name="kept")
        expiring = await world.create_file(
            name="expiring", retention_ends_on=str(date.today() + timedelta(days=10))
        )
        doomed = [
            await world.create_contact(expiring["id"], email=f"p{i}@example.org", tags=["bénévole"])
            for i in range(3)
        ]
        survivor = await world.create_contact(kept["id"], email="kept@example.org")
        logged = await world.client.post(
            world.path("/interactions"),
            json={"kind": "call", "outcome": "met", "contact_id": doomed[0]["id"]},
            headers=world.volunteer(),
        )
        assert logged.status_code == 201, logged.text
        kernel = world.svc.kernel
        later = db.utcnow() + timedelta(days=11)

        reports = await purge.run(kernel.sessionmaker, kernel.outbox, now=later)

        assert [(r.file_name, r.purged_count) for r in reports] == [("expiring", 3)]
        async with kernel.sessionmaker() as session:
            left = list(await session.scalars(sa.select(Contact.id)))
            entries = await session.scalar(sa.select(sa.func.count()).select_from(Interaction))
            file = await session.get(ContactFile, uuid.UUID(expiring["id"]))
        assert left == [uuid.UUID(survivor["id"])]
        assert entries == 0
        assert file is not None
        assert file.purged_at is not None
        listed = await world.client.get(world.path("/purge-reports"), headers=world.manager())
        assert listed.json()[0]["purged_count"] == 3
        assert listed.json()[0]["file_id"] == expiring["id"]
        assert await purge.run(kernel.sessionmaker, kernel.outbox, now=later) == []

    async def test_r09_the_purge_publishes_a_deletion_per_contact_and_the_file_purge(
        self, world: World
    ) -> None:
        expiring = await world.create_file(retention_ends_on=str(date.today() + timedelta(days=1)))
        for i in range(2):
            await world.create_contact(expiring["id"], email=f"p{i}@example.org")
        kernel = world.svc.kernel
        await kernel.relay.stop()  # keep the outbox rows to read them

        await purge.run(kernel.sessionmaker, kernel.outbox, now=db.utcnow() + timedelta(days=2))

        async with kernel.sessionmaker() as session:
            types = list(
                await session.scalars(
                    sa.select(outbox_table.c.event_type).order_by(outbox_table.c.id)
                )
            )
        assert types.count("contact.deleted") == 2
        assert types[-1] == "file.purged"

    async def test_r09_the_purge_endpoint_purges_a_file_whose_retention_ends_today(
        self, world: World
    ) -> None:
        file = await world.create_file(retention_ends_on=str(date.today() + timedelta(days=3)))
        await world.create_contact(file["id"], email="a@example.org")
        await _shorten_retention(world, file["id"], date.today())

        r = await world.client.post(world.path("/purges"), headers=world.manager())
        volunteer = await world.client.post(world.path("/purges"), headers=world.volunteer())

        assert r.status_code == 200
        assert r.json()[0]["purged_count"] == 1
        assert volunteer.status_code == 403

    async def test_r09_no_contact_is_added_to_an_expired_file(self, world: World) -> None:
        file = await world.create_file(retention_ends_on=str(date.today() + timedelta(days=3)))
        await _shorten_retention(world, file["id"], date.today())

        r = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "email": "a@example.org",
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R9"


async def _shorten_retention(world: World, file_id: str, day: date) -> None:
    r = await world.client.patch(
        world.path(f"/files/{file_id}"),
        json={"retention_ends_on": str(day)},
        headers=world.manager(),
    )
    assert r.status_code == 200, r.text


class TestR09Reuse:
    async def _primary_and_official(self, world: World) -> tuple[dict, uuid.UUID]:  # type: ignore[type-arg]
        primary = await world.create_file(election_stage="primary", name="Primaire")
        official = await world.create_campaign(candidate_name="Officielle")
        return primary, official

    async def _consent(self, world: World, contact_id: str, state: str = "granted") -> None:
        event_class = (
            consent_ev.ConsentGranted if state == "granted" else consent_ev.ConsentWithdrawn
        )
        payload = event_class(
            entry_id=uuid.uuid4(),
            contact_id=uuid.UUID(contact_id),
            campaign_id=world.campaign_id,
            channel="email",
            purpose="official_campaign_reuse",
            state=state,
            previous_state=None,  # type: ignore[arg-type]
            method="web_form",
            occurred_at=db.utcnow(),
        )
        async with db.transaction(world.svc.kernel.sessionmaker) as session:
            await world.svc.kernel.outbox.add(
                session, payload, tenant_id=str(world.campaign_id), key=contact_id
            )

    async def test_r09_reuse_without_any_consent_is_refused(self, world: World) -> None:
        primary, official = await self._primary_and_official(world)
        await world.create_contact(primary["id"], email="a@example.org")

        r = await world.client.post(
            f"/v1/parties/{world.party_id}/file-reuses",
            json={"source_file_id": primary["id"], "target_campaign_id": str(official)},
            headers=world.admin(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R9"

    async def test_r09_reuse_copies_only_the_contacts_that_consented(self, world: World) -> None:
        primary, official = await self._primary_and_official(world)
        yes = await world.create_contact(primary["id"], email="yes@example.org", tags=["bénévole"])
        no = await world.create_contact(primary["id"], email="no@example.org")
        await self._consent(world, yes["id"])
        await self._consent(world, no["id"], state="withdrawn")
        await eventually(lambda: _states(world), timeout=15)

        r = await world.client.post(
            f"/v1/parties/{world.party_id}/file-reuses",
            json={"source_file_id": primary["id"], "target_campaign_id": str(official)},
            headers=world.admin(),
        )

        assert r.status_code == 201, r.text
        assert (r.json()["copied"], r.json()["left_behind"]) == (1, 1)
        assert r.json()["file"]["election_stage"] == "official"
        page = await world.client.get(
            world.path("/contacts", official), headers=world.manager(official)
        )
        assert [c["email"] for c in page.json()["items"]] == ["yes@example.org"]


async def _states(world: World) -> bool:
    from contacts_svc.models import ConsentState

    async with world.svc.kernel.sessionmaker() as session:
        return (
            await session.scalar(sa.select(sa.func.count()).select_from(ConsentState)) or 0
        ) >= 2
