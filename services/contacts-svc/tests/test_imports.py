"""CSV imports: real files, validation per row, duplicates, re-runs, error report, progress."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import contacts_data
import pytest
import sqlalchemy as sa
from bus import publish
from world import World

from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from contacts_svc.models import Contact
from isoloir import db, identity
from isoloir.db import outbox_table
from isoloir.events import Envelope
from isoloir.events import consent as consent_ev
from isoloir.events.contacts import ContactCreated
from isoloir.testing.plugin import running
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually


@pytest.fixture
async def small_chunks(
    service_settings: Any, tokens: Tokens, tmp_path: Path
) -> AsyncIterator[World]:
    """A service whose imports work in chunks of 400 rows, so files span many chunks."""
    settings = await service_settings(
        ContactsSettings, import_chunk_rows=400, import_dir=tmp_path / "uploads"
    )
    async with running(create_app(settings)) as svc:
        world = World(svc=svc, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
        await world.register_party()
        await world.create_campaign()
        yield world


async def upload(world: World, content: bytes, file_id: str, query: str = "", **headers: str):  # type: ignore[no-untyped-def]
    return await world.client.post(
        world.path(f"/imports?file_id={file_id}{query}"),
        content=content,
        headers={**world.manager(), "content-type": "text/csv", **headers},
    )


async def finished(world: World, import_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        r = await world.client.get(world.path(f"/imports/{import_id}"), headers=world.manager())
        body: dict[str, Any] = r.json()
        return body if body["status"] in ("done", "failed") else None

    return await eventually(done, timeout=60, interval=0.1)


async def contact_count(world: World) -> int:
    async with world.svc.kernel.sessionmaker() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Contact)) or 0)


class TestGeneratedFile:
    async def test_a_generated_file_is_imported_with_counts_dedup_and_error_report(
        self, small_chunks: World, tmp_path: Path
    ) -> None:
        world = small_chunks
        path = tmp_path / "adherents.csv"
        expected = contacts_data.write_csv(path, 3000, seed=7)
        file = await world.create_file()
        await world.svc.kernel.relay.stop()  # keep the events in the outbox to count them

        r = await upload(world, path.read_bytes(), file["id"])
        job = await finished(world, r.json()["id"])

        assert r.status_code == 202, r.text
        assert job["status"] == "done", job
        assert (job["encoding"], job["delimiter"]) == ("utf-8-sig", ";")
        assert job["rows_read"] == expected.rows
        assert job["created"] == expected.people == await contact_count(world)
        assert job["duplicates"] + job["unchanged"] == expected.duplicates
        assert job["merged"] == 0
        assert job["errors"] == expected.bad_rows
        assert job["progress"] == 1.0
        report = await world.client.get(
            world.path(f"/imports/{job['id']}/errors"), headers=world.manager()
        )
        lines = list(csv.DictReader(io.StringIO(report.text)))
        assert report.headers["content-type"].startswith("text/csv")
        assert len(lines) == expected.bad_rows
        assert {line["field"] for line in lines} == {"email", "phone", "birth_year", "sex", "row"}
        async with world.svc.kernel.sessionmaker() as session:
            rows = (
                await session.execute(
                    sa.select(outbox_table.c.value, outbox_table.c.key).where(
                        outbox_table.c.event_type == "contact.created"
                    )
                )
            ).all()
        assert len(rows) == expected.people
        # Built without re-validation on the hot path: each must still parse as the contract.
        payloads = [Envelope.from_bytes(row.value).parse_payload() for row in rows]
        assert all(isinstance(p, ContactCreated) for p in payloads)
        assert {str(p.contact_id) for p in payloads} == {row.key for row in rows}  # type: ignore[attr-defined]
        async with world.svc.kernel.sessionmaker() as session:
            held = set(await session.scalars(sa.select(Contact.id)))
        assert {p.contact_id for p in payloads} == held  # type: ignore[attr-defined]
        exposed = (await world.client.get("/metrics")).text
        assert f'contacts_import_rows_total{{outcome="created"}} {expected.people}.0' in exposed
        assert f'contacts_import_rows_total{{outcome="error"}} {expected.bad_rows}.0' in exposed

    async def test_running_the_same_file_again_changes_nothing(
        self, small_chunks: World, tmp_path: Path
    ) -> None:
        world = small_chunks
        path = tmp_path / "adherents.csv"
        expected = contacts_data.write_csv(path, 1200, seed=11)
        file = await world.create_file()
        first = await finished(
            world, (await upload(world, path.read_bytes(), file["id"])).json()["id"]
        )
        async with world.svc.kernel.sessionmaker() as session:
            before = sorted((c.id, c.updated_at) for c in await session.scalars(sa.select(Contact)))

        again = await finished(
            world, (await upload(world, path.read_bytes(), file["id"])).json()["id"]
        )

        async with world.svc.kernel.sessionmaker() as session:
            after = sorted((c.id, c.updated_at) for c in await session.scalars(sa.select(Contact)))
        assert first["created"] == expected.people
        assert (again["created"], again["merged"]) == (0, 0)
        assert again["unchanged"] + again["duplicates"] == expected.people + expected.duplicates
        assert before == after


class TestRealWorldLayouts:
    async def test_a_windows_1252_comma_file_with_a_mapping_is_read(self, world: World) -> None:
        file = await world.create_file(provenance="electoral_list")
        content = (
            "NOM,PRENOM,Adresse,BV,Né(e) le,Profession\r\n"
            'Lefèvre,Hélène,"3 rue de l\'Église, 29200 Brest",29019-0012,12/03/1967,infirmière\r\n'
            'Kerouac,Jack,"1 quai Est, 29200 Brest",29019-0013,1960-01-02,écrivain\r\n'
        ).encode("cp1252")

        r = await upload(
            world, content, file["id"], "&map=BV=polling_station&map=Né(e) le=birth_year"
        )
        job = await finished(world, r.json()["id"])

        assert job["status"] == "done", job
        assert (job["encoding"], job["delimiter"], job["created"]) == ("cp1252", ",", 2)
        assert job["ignored_columns"] == ["Profession"]
        page = await world.client.get(world.path("/contacts"), headers=world.manager())
        people = {c["last_name"]: c for c in page.json()["items"]}
        assert people["Lefèvre"]["first_name"] == "Hélène"
        assert people["Lefèvre"]["birth_year"] == 1967
        assert people["Lefèvre"]["kind"] == "occasional"
        assert people["Lefèvre"]["origin"] == "electoral_list"

    async def test_r10_a_column_about_a_sensitive_category_refuses_the_whole_file(
        self, world: World
    ) -> None:
        file = await world.create_file()
        content = b"Nom;Email;Religion\nCurie;m.curie@example.org;aucune\n"

        r = await upload(world, content, file["id"])

        assert r.status_code == 422
        assert r.json()["rule"] == "R10"
        assert r.json()["errors"][0]["field"] == "column 'Religion'"
        assert await contact_count(world) == 0

    async def test_r14_an_occasional_import_with_a_tags_column_reports_every_row(
        self, world: World
    ) -> None:
        file = await world.create_file()
        content = "Email;Tags\na@example.org;vélo\nb@example.org;\n".encode()

        job = await finished(world, (await upload(world, content, file["id"])).json()["id"])

        assert (job["created"], job["errors"]) == (1, 1)
        report = await world.client.get(
            world.path(f"/imports/{job['id']}/errors"), headers=world.manager()
        )
        assert "tags" in report.text
        assert "occasional" in report.text

    async def test_a_bad_row_never_loses_the_good_ones(self, world: World) -> None:
        file = await world.create_file()
        content = (
            "Email;Téléphone;Année de naissance\n"
            "a@example.org;;1970\n"
            "not-an-email;;1970\n"
            "c@example.org;0612345678;1850\n"
            "d@example.org;+33 6 12 34 56 79;1980\n"
        ).encode()

        job = await finished(world, (await upload(world, content, file["id"])).json()["id"])

        assert (job["created"], job["errors"]) == (2, 2)
        report = await world.client.get(
            world.path(f"/imports/{job['id']}/errors"), headers=world.manager()
        )
        lines = list(csv.DictReader(io.StringIO(report.text)))
        assert [(line["row"], line["field"]) for line in lines] == [
            ("3", "email"),
            ("4", "birth_year"),
        ]

    async def test_a_person_on_the_opposition_list_is_skipped_with_the_reason(
        self, world: World
    ) -> None:
        file = await world.create_file()
        opposed = identity.email_hash(
            secret=world.svc.settings.party_secret, email="gone@example.org"
        )
        await publish(
            world.svc,
            consent_ev.OppositionAdded(
                email_hash=opposed, source="erasure", optout_seq=1, occurred_at=db.utcnow()
            ),
            tenant_id=None,
            key=opposed,
        )
        await eventually(lambda: _opposition(world), timeout=15)
        content = b"Email\nGone@example.org\nstays@example.org\n"

        job = await finished(world, (await upload(world, content, file["id"])).json()["id"])

        assert (job["created"], job["skipped"]) == (1, 1)
        report = await world.client.get(
            world.path(f"/imports/{job['id']}/errors"), headers=world.manager()
        )
        assert "opposition list" in report.text

    async def test_rows_of_known_contacts_fill_what_they_lacked(self, world: World) -> None:
        file = await world.create_file()
        known = await world.create_contact(file["id"], email="a@example.org")

        job = await finished(
            world,
            (
                await upload(
                    world,
                    "Email;Prénom;Téléphone\nA@example.org;Ada;06 12 34 56 78\n".encode(),
                    file["id"],
                )
            ).json()["id"],
        )

        assert (job["created"], job["merged"]) == (0, 1)
        r = await world.client.get(world.path(f"/contacts/{known['id']}"), headers=world.manager())
        assert (r.json()["first_name"], r.json()["phone"]) == ("Ada", "+33612345678")


async def _opposition(world: World) -> int:
    from contacts_svc.models import OppositionHash

    async with world.svc.kernel.sessionmaker() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(OppositionHash)) or 0
        )


class TestImportRefusals:
    async def test_a_volunteer_cannot_import(self, world: World) -> None:
        file = await world.create_file()

        r = await world.client.post(
            world.path(f"/imports?file_id={file['id']}"),
            content=b"Email\na@example.org\n",
            headers={**world.volunteer(), "content-type": "text/csv"},
        )

        assert r.status_code == 403

    async def test_a_json_body_is_refused_with_415(self, world: World) -> None:
        file = await world.create_file()

        r = await upload(world, b"{}", file["id"], **{"content-type": "application/json"})

        assert r.status_code == 415

    async def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
        self, service_settings: Any, tokens: Tokens, tmp_path: Path
    ) -> None:
        settings = await service_settings(
            ContactsSettings, max_upload_bytes=2048, import_dir=tmp_path
        )
        async with running(create_app(settings)) as svc:
            world = World(svc=svc, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
            await world.register_party()
            await world.create_campaign()
            file = await world.create_file()

            r = await upload(world, b"Email\n" + b"a@example.org\n" * 400, file["id"])

        assert r.status_code == 413
        assert [p async for p in anyio.Path(tmp_path).iterdir()] == []

    async def test_a_file_whose_columns_mean_nothing_is_refused(self, world: World) -> None:
        file = await world.create_file()

        r = await upload(world, b"foo;bar\n1;2\n", file["id"])

        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "header"


class TestSqlite:
    async def test_the_embedded_sqlite_database_imports_the_same_file_the_same_way(
        self, service_settings: Any, tokens: Tokens, tmp_path: Path
    ) -> None:
        settings = await service_settings(
            ContactsSettings,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'contacts.db'}",
            import_chunk_rows=150,
            import_dir=tmp_path / "uploads",
        )
        path = tmp_path / "file.csv"
        expected = contacts_data.write_csv(path, 600, seed=3, encoding="cp1252", delimiter=",")
        async with running(create_app(settings)) as svc:
            world = World(svc=svc, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
            await world.register_party()
            await world.create_campaign()
            file = await world.create_file()

            first = await finished(
                world, (await upload(world, path.read_bytes(), file["id"])).json()["id"]
            )
            again = await finished(
                world, (await upload(world, path.read_bytes(), file["id"])).json()["id"]
            )
            held = await contact_count(world)

        assert first["status"] == "done", first
        assert (first["encoding"], first["delimiter"]) == ("cp1252", ",")
        assert first["created"] == expected.people == held
        assert first["errors"] == expected.bad_rows
        assert (again["created"], again["merged"]) == (0, 0)


class TestLogs:
    async def test_no_log_record_carries_a_name_an_email_a_phone_or_an_address(
        self, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level("DEBUG")
        file = await world.create_file()
        personal = ["Lefèvre", "Hélène", "helene.lefevre@example.org", "0612345678", "Rue de Siam"]
        content = (
            "Nom;Prénom;Email;Téléphone;Adresse\n"
            "Lefèvre;Hélène;helene.lefevre@example.org;0612345678;3 Rue de Siam, 29200 Brest\n"
            "Lefèvre;Hélène;pas-un-email;0612345678;3 Rue de Siam, 29200 Brest\n"
        ).encode()

        job = await finished(world, (await upload(world, content, file["id"])).json()["id"])
        await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "last_name": "Lefèvre",
                "email": "helene.lefevre@example.org",
            },
            headers=world.manager(),
        )

        assert job["created"] == 1
        leaks = [
            (record.name, value)
            for record in caplog.records
            for value in (record.getMessage(), *map(str, record.__dict__.values()))
            if any(p in value for p in personal)
        ]
        assert leaks == []
