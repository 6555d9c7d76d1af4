"""Canvassing entries (R10, R14), segments for targeting and aggregate counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio
from world import World

from isoloir import db
from isoloir.auth import Role

# One service for the module: each test works in a party and campaign of its own.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def world(shared_world: World) -> World:
    return shared_world


async def log(world: World, headers: dict[str, str] | None = None, **body: object):  # type: ignore[no-untyped-def]
    payload = {"kind": "door_to_door", "outcome": "met", **body}
    return await world.client.post(
        world.path("/interactions"), json=payload, headers=headers or world.volunteer()
    )


class TestCanvassing:
    async def test_a_volunteer_logs_a_visit_with_who_when_and_where(self, world: World) -> None:
        r = await log(
            world,
            world.as_role(Role.VOLUNTEER, subject="vol-1"),
            polling_station="29019-0007",
            notes="Beaucoup de questions sur le tram",
        )

        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["staff_id"], body["polling_station"], body["kind"]) == (
            "vol-1",
            "29019-0007",
            "door_to_door",
        )
        listed = await world.client.get(world.path("/interactions"), headers=world.volunteer())
        assert [e["id"] for e in listed.json()["items"]] == [body["id"]]

    async def test_every_kind_of_entry_is_accepted(self, world: World) -> None:
        for kind, outcome in (
            ("door_to_door", "not_home"),
            ("meeting", "interested"),
            ("call", "voicemail"),
            ("event", "attended"),
        ):
            r = await log(world, kind=kind, outcome=outcome)
            assert r.status_code == 201, (kind, r.text)

    async def test_r10_a_canvassing_note_about_a_sensitive_category_is_refused(
        self, world: World
    ) -> None:
        r = await log(world, notes="Il m'a dit qu'il était syndiqué et malade")

        assert r.status_code == 422
        assert r.json()["rule"] == "R10"
        assert r.json()["errors"][0]["field"] == "notes"

    async def test_r14_notes_about_an_occasional_contact_are_refused(self, world: World) -> None:
        file = await world.create_file()
        occasional = await world.create_contact(
            file["id"], kind="occasional", email="a@example.org"
        )

        with_notes = await log(world, contact_id=occasional["id"], notes="à revoir")
        without = await log(world, contact_id=occasional["id"])

        assert with_notes.status_code == 422
        assert with_notes.json()["rule"] == "R14"
        assert without.status_code == 201

    async def test_an_entry_in_the_future_or_about_another_campaigns_contact_is_refused(
        self, world: World
    ) -> None:
        other = await world.create_campaign(candidate_name="Autre")
        foreign = await world.create_contact(
            (await world.create_file(other))["id"], other, email="x@example.org"
        )

        future = await log(world, occurred_at=(db.utcnow() + timedelta(days=1)).isoformat())
        elsewhere = await log(world, contact_id=foreign["id"])

        assert future.status_code == 422
        assert future.json()["errors"][0]["field"] == "occurred_at"
        assert elsewhere.status_code == 404

    async def test_an_ops_viewer_cannot_log_or_read_entries(self, world: World) -> None:

        ops = world.as_role(Role.OPS_VIEWER)

        assert (await log(world, ops)).status_code == 403
        assert (await world.client.get(world.path("/interactions"), headers=ops)).status_code == 403


class TestSegments:
    async def _people(self, world: World) -> dict[str, dict]:  # type: ignore[type-arg]
        file = await world.create_file()
        year = db.utcnow().year
        made = {}
        for name, station, age, tags in (
            ("young-a", "29019-0001", 20, ["vélo"]),
            ("young-b", "29019-0002", 22, ["tram"]),
            ("old-a", "29019-0001", 70, ["vélo", "tram"]),
            ("mid-a", "29019-0001", 40, None),
        ):
            made[name] = await world.create_contact(
                file["id"],
                email=f"{name}@example.org",
                polling_station=station,
                birth_year=year - age,
                tags=tags,
            )
        return made

    async def test_a_segment_returns_the_contacts_matching_every_filter(self, world: World) -> None:
        people = await self._people(world)
        await log(world, contact_id=people["old-a"]["id"], kind="call", outcome="interested")

        segment = await world.client.post(
            world.path("/segments"),
            json={
                "name": "Cyclistes du bureau 1",
                "filters": {"polling_stations": ["29019-0001"], "tags": ["vélo"]},
            },
            headers=world.manager(),
        )
        young = await world.client.post(
            world.path("/segments"),
            json={"name": "Jeunes", "filters": {"age_bands": ["18-24"]}},
            headers=world.manager(),
        )
        called = await world.client.post(
            world.path("/segments"),
            json={
                "name": "Appelés intéressés",
                "filters": {"interaction_kinds": ["call"], "interaction_outcomes": ["interested"]},
            },
            headers=world.manager(),
        )

        def emails(r) -> set[str]:  # type: ignore[no-untyped-def]
            return {c["email"].split("@")[0] for c in r.json()["items"]}

        for r in (segment, young, called):
            assert r.status_code == 201, r.text
        got = [
            await world.client.get(
                world.path(f"/segments/{r.json()['id']}/contacts"), headers=world.manager()
            )
            for r in (segment, young, called)
        ]
        assert emails(got[0]) == {"young-a", "old-a"}
        assert emails(got[1]) == {"young-a", "young-b"}
        assert emails(got[2]) == {"old-a"}

    async def test_segment_contacts_come_a_page_at_a_time(self, world: World) -> None:
        await self._people(world)
        segment = (
            await world.client.post(
                world.path("/segments"),
                json={"name": "Tous", "filters": {}},
                headers=world.manager(),
            )
        ).json()

        first = await world.client.get(
            world.path(f"/segments/{segment['id']}/contacts?limit=3"), headers=world.manager()
        )
        rest = await world.client.get(
            world.path(
                f"/segments/{segment['id']}/contacts?limit=3&after={first.json()['next_after']}"
            ),
            headers=world.manager(),
        )

        assert len(first.json()["items"]) == 3
        assert len(rest.json()["items"]) == 1
        assert rest.json()["next_after"] is None

    async def test_r10_a_segment_filtering_on_a_sensitive_tag_is_refused(
        self, world: World
    ) -> None:
        r = await world.client.post(
            world.path("/segments"),
            json={"name": "x", "filters": {"tags": ["musulmans"]}},
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R10"

    async def test_a_volunteer_cannot_use_segments(self, world: World) -> None:
        r = await world.client.post(
            world.path("/segments"), json={"name": "x", "filters": {}}, headers=world.volunteer()
        )

        assert r.status_code == 403


class TestCounts:
    async def test_counts_never_show_a_cell_of_fewer_than_ten_people(self, world: World) -> None:
        file = await world.create_file(provenance="electoral_list")
        year = db.utcnow().year
        layout = [
            ("29019-0001", "F", 30, 12),
            ("29019-0001", "M", 30, 4),
            ("29019-0002", "F", 30, 7),
            ("29019-0003", "M", 70, 11),
        ]
        n = 0
        for station, sex, age, count in layout:
            for _ in range(count):
                n += 1
                await world.create_contact(
                    file["id"],
                    kind="occasional",
                    origin="electoral_list",
                    last_name=f"P{n}",
                    first_name="X",
                    birth_year=year - age,
                    sex=sex,
                    polling_station=station,
                )
        ops = world.as_role(Role.OPS_VIEWER)

        by_station = await world.client.get(world.path("/counts?by=polling_station"), headers=ops)
        by_all = await world.client.get(
            world.path("/counts?by=polling_station&by=sex&by=age_band"), headers=ops
        )
        volunteer = await world.client.get(world.path("/counts"), headers=world.volunteer())

        assert by_station.status_code == 200, by_station.text
        assert {(c["polling_station"], c["count"]) for c in by_station.json()["cells"]} == {
            ("29019-0001", 16),
            ("29019-0003", 11),
        }
        assert by_station.json()["suppressed_cells"] == 1
        cells = by_all.json()["cells"]
        assert all(c["count"] >= 10 for c in cells)
        assert {(c["polling_station"], c["sex"], c["age_band"], c["count"]) for c in cells} == {
            ("29019-0001", "F", "25-34", 12),
            ("29019-0003", "M", "65+", 11),
            ("other", "other", "other", 11),
        }
        assert volunteer.status_code == 403
