"""The embedded default (SQLite) runs the same service: one journey through every resource."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from world import STRONG_PASSWORD, World

from contacts_svc import purge
from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from isoloir import db
from isoloir.testing.plugin import running
from isoloir.testing.tokens import Tokens


class TestSqliteJourney:
    async def test_files_contacts_canvassing_segments_counts_login_and_purge_work_on_sqlite(
        self, service_settings: Any, tokens: Tokens, tmp_path: Path
    ) -> None:
        settings = await service_settings(
            ContactsSettings,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'contacts.db'}",
            import_dir=tmp_path / "uploads",
        )
        async with running(create_app(settings)) as svc:
            world = World(svc=svc, tokens=tokens, party_id=uuid.UUID(tokens.party_id))
            await world.register_party()
            await world.create_campaign()
            file = await world.create_file(retention_ends_on=str(date.today() + timedelta(days=5)))
            year = db.utcnow().year
            for i in range(12):
                await world.create_contact(
                    file["id"],
                    email=f"p{i}@example.org",
                    tags=["vélo"] if i % 2 else ["tram"],
                    polling_station="29019-0001",
                    birth_year=year - 30,
                    sex="F",
                )
            someone = (
                await world.client.get(world.path("/contacts?limit=1"), headers=world.manager())
            ).json()
            logged = await world.client.post(
                world.path("/interactions"),
                json={
                    "kind": "call",
                    "outcome": "interested",
                    "contact_id": someone["items"][0]["id"],
                },
                headers=world.volunteer(),
            )
            segment = await world.client.post(
                world.path("/segments"),
                json={"name": "vélo", "filters": {"tags": ["vélo"], "age_bands": ["25-34"]}},
                headers=world.manager(),
            )
            matched = await world.client.get(
                world.path(f"/segments/{segment.json()['id']}/contacts"), headers=world.manager()
            )
            counts = await world.client.get(
                world.path("/counts?by=polling_station&by=sex"), headers=world.manager()
            )
            member = await world.client.post(
                world.path("/members"),
                json={
                    "email": "v@example.org",
                    "display_name": "V",
                    "password": STRONG_PASSWORD,
                    "roles": ["volunteer"],
                },
                headers=world.manager(),
            )
            failures = [
                (
                    await world.client.post(
                        "/v1/auth/login", json={"email": "v@example.org", "password": "wrong"}
                    )
                ).status_code
                for _ in range(6)
            ]
            reports = await purge.run(
                svc.kernel.sessionmaker, svc.kernel.outbox, now=db.utcnow() + timedelta(days=6)
            )
            left = await world.client.get(world.path("/contacts"), headers=world.manager())

        assert logged.status_code == 201, logged.text
        assert segment.status_code == 201, segment.text
        assert len(matched.json()["items"]) == 6
        assert counts.json()["cells"] == [
            {"polling_station": "29019-0001", "age_band": None, "sex": "F", "count": 12}
        ]
        assert member.status_code == 201
        assert failures == [401] * 5 + [429]
        assert [r.purged_count for r in reports] == [12]
        assert left.json()["items"] == []
