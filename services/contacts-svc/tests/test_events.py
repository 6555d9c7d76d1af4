"""Events consumed from consent-svc and rights-svc, and what contacts-svc answers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from bus import publish, published
from world import World

from contacts_svc import models
from isoloir import db, identity
from isoloir.events import consent as consent_ev
from isoloir.events import rights as rights_ev
from isoloir.testing.waiting import eventually


def _change(world: World, contact_id: str, cls: type, state: str) -> Any:
    return cls(  # type: ignore[no-any-return]
        entry_id=uuid.uuid4(),
        contact_id=uuid.UUID(contact_id),
        campaign_id=world.campaign_id,
        channel="sms",
        purpose="newsletter",
        state=state,
        previous_state="pending",
        method="sms_reply",
        occurred_at=db.utcnow(),
    )


async def _contact_exists(world: World, contact_id: str) -> bool:
    async with world.svc.kernel.sessionmaker() as session:
        return await session.get(models.Contact, uuid.UUID(contact_id)) is not None


class TestConsentRefused:
    async def test_a_refusal_deletes_the_contact_and_publishes_its_deletion(
        self, world: World
    ) -> None:
        file = await world.create_file()
        contact = await world.create_contact(file["id"], email="a@example.org")

        await publish(
            world.svc,
            _change(world, contact["id"], consent_ev.ConsentRefused, "refused"),
            tenant_id=str(world.campaign_id),
            key=contact["id"],
        )

        await eventually(lambda: _gone(world, contact["id"]), timeout=15)
        [event] = await published(
            world.svc, "contact.deleted", lambda p: p["contact_id"] == contact["id"]
        )
        assert event.payload["reason"] == "refusal"


async def _gone(world: World, contact_id: str) -> bool:
    return not await _contact_exists(world, contact_id)


def _submission(world: World, **fields: object) -> consent_ev.FormSubmitted:
    return consent_ev.FormSubmitted(
        submission_id=uuid.uuid4(),
        campaign_id=world.campaign_id,
        form_id=uuid.uuid4(),
        proposed_contact_id=uuid.uuid4(),
        contact_kind="occasional",
        occurred_at=db.utcnow(),
        **fields,  # type: ignore[arg-type]
    )


class TestFormSubmissions:
    async def test_a_new_person_is_created_under_the_proposed_id_in_the_collection_file(
        self, world: World
    ) -> None:
        submission = _submission(
            world, first_name="Ada", email="ada@example.org", postal_code="29200"
        )

        await publish(
            world.svc,
            submission,
            tenant_id=str(world.campaign_id),
            key=str(submission.proposed_contact_id),
        )

        await eventually(
            lambda: _contact_exists(world, str(submission.proposed_contact_id)), timeout=15
        )
        r = await world.client.get(
            world.path(f"/contacts/{submission.proposed_contact_id}"), headers=world.manager()
        )
        assert (r.json()["origin"], r.json()["kind"]) == ("form", "occasional")
        files = await world.client.get(world.path("/files"), headers=world.manager())
        assert files.json()[0]["provenance"] == "campaign_collection"

    async def test_a_known_person_is_merged_and_the_merge_is_published(self, world: World) -> None:
        file = await world.create_file()
        known = await world.create_contact(file["id"], email="ada@example.org")
        submission = _submission(world, email="ADA@example.org", phone="0612345678")

        await publish(
            world.svc,
            submission,
            tenant_id=str(world.campaign_id),
            key=str(submission.proposed_contact_id),
        )

        [merged] = await published(world.svc, "contact.merged")
        assert merged.payload["kept_id"] == known["id"]
        assert merged.payload["duplicate_id"] == str(submission.proposed_contact_id)
        r = await world.client.get(world.path(f"/contacts/{known['id']}"), headers=world.manager())
        assert r.json()["phone"] == "+33612345678"

    async def test_the_consents_given_with_a_merged_submission_count_for_the_kept_contact(
        self, world: World
    ) -> None:
        # consent-svc publishes the submission's grants after it, about the proposed id.
        primary = await world.create_file(election_stage="primary", name="Primaire")
        official = await world.create_campaign(candidate_name="Officielle")
        known = await world.create_contact(primary["id"], email="ada@example.org")
        submission = _submission(world, email="ada@example.org")
        proposed = str(submission.proposed_contact_id)
        grant = _change(world, proposed, consent_ev.ConsentGranted, "granted")
        grant = grant.model_copy(update={"purpose": "official_campaign_reuse"})

        for payload in (submission, grant):
            await publish(world.svc, payload, tenant_id=str(world.campaign_id), key=proposed)

        await eventually(lambda: _consent_rows(world), timeout=15)
        async with world.svc.kernel.sessionmaker() as session:
            rows = (await session.scalars(sa.select(models.ConsentState))).all()
        assert [(str(r.contact_id), r.purpose, r.state) for r in rows] == [
            (known["id"], "official_campaign_reuse", "granted")
        ]
        reused = await world.client.post(
            f"/v1/parties/{world.party_id}/file-reuses",
            json={"source_file_id": primary["id"], "target_campaign_id": str(official)},
            headers=world.admin(),
        )
        assert reused.status_code == 201, reused.text
        assert reused.json()["copied"] == 1
        deleted = await world.client.delete(
            world.path(f"/contacts/{known['id']}"), headers=world.manager()
        )
        assert deleted.status_code == 204
        leftovers = await _rows_naming(world, [uuid.UUID(known["id"]), uuid.UUID(proposed)], [])
        assert leftovers == {}

    async def test_a_person_on_the_opposition_list_is_rejected_with_the_reason(
        self, world: World
    ) -> None:
        opposed = identity.phone_hash(secret=world.svc.settings.party_secret, phone="+33612345678")
        await publish(
            world.svc,
            consent_ev.OppositionAdded(
                phone_hash=opposed, source="sms_stop", optout_seq=3, occurred_at=db.utcnow()
            ),
            tenant_id=None,
            key=opposed,
        )
        await eventually(lambda: _opposition_count(world), timeout=15)
        submission = _submission(world, phone="06 12 34 56 78")

        await publish(
            world.svc,
            submission,
            tenant_id=str(world.campaign_id),
            key=str(submission.proposed_contact_id),
        )

        [rejected] = await published(world.svc, "contact.rejected")
        assert rejected.payload["reason"] == "opposition_list"
        assert not await _contact_exists(world, str(submission.proposed_contact_id))

    async def test_a_submission_to_a_finished_campaign_is_rejected_as_closed(
        self, world: World
    ) -> None:
        today = db.utcnow().date()
        ended = await world.create_campaign(
            election_rounds=[str(today - timedelta(days=10))],
            ends_on=str(today - timedelta(days=1)),
        )
        submission = consent_ev.FormSubmitted(
            submission_id=uuid.uuid4(),
            campaign_id=ended,
            form_id=uuid.uuid4(),
            proposed_contact_id=uuid.uuid4(),
            contact_kind="occasional",
            email="late@example.org",
            occurred_at=db.utcnow(),
        )

        await publish(
            world.svc, submission, tenant_id=str(ended), key=str(submission.proposed_contact_id)
        )

        [rejected] = await published(world.svc, "contact.rejected")
        assert rejected.payload["reason"] == "campaign_closed"
        assert not await _contact_exists(world, str(submission.proposed_contact_id))

    async def test_an_invalid_submission_is_rejected_as_invalid(self, world: World) -> None:
        submission = _submission(world, email="not an email")

        await publish(
            world.svc,
            submission,
            tenant_id=str(world.campaign_id),
            key=str(submission.proposed_contact_id),
        )

        [rejected] = await published(world.svc, "contact.rejected")
        assert rejected.payload["reason"] == "invalid"
        assert "email" in rejected.payload["detail"]


async def _opposition_count(world: World) -> int:
    async with world.svc.kernel.sessionmaker() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(models.OppositionHash)) or 0
        )


def _request(
    world: World, kind: str, *, email: str | None = None, **extra: object
) -> rights_ev.RightsRequestOpened:
    secret = world.svc.settings.party_secret
    return rights_ev.RightsRequestOpened(
        request_id=uuid.uuid4(),
        kind=kind,
        campaign_id=extra.pop("campaign_id", world.campaign_id),  # type: ignore[arg-type]
        email_hash=identity.email_hash(secret=secret, email=email) if email else None,
        due_at=db.utcnow() + timedelta(days=30),
        occurred_at=db.utcnow(),
        **extra,  # type: ignore[arg-type]
    )


class TestRightsRequests:
    async def test_an_access_request_exports_everything_held_with_its_origin(
        self, world: World
    ) -> None:
        file = await world.create_file(name="Adhérents", purpose="Inform members")
        contact = await world.create_contact(
            file["id"], email="ada@example.org", first_name="Ada", tags=["vélo"]
        )
        await world.client.post(
            world.path("/interactions"),
            json={
                "kind": "call",
                "outcome": "interested",
                "contact_id": contact["id"],
                "notes": "rappeler jeudi",
            },
            headers=world.volunteer(),
        )
        request = _request(world, "access", email="ada@example.org")

        await publish(
            world.svc, request, tenant_id=str(world.party_id), key=str(request.request_id)
        )

        [ack] = await published(world.svc, "rights.request.acknowledged")
        assert (ack.payload["service"], ack.payload["outcome"]) == ("contacts", "done")
        [held] = ack.payload["export"]["contacts"]
        assert (held["first_name"], held["email"], held["tags"]) == (
            "Ada",
            "ada@example.org",
            ["vélo"],
        )
        assert held["origin"] == "party_file"
        assert held["file"] == {
            "name": "Adhérents",
            "purpose": "Inform members",
            "provenance": "party_members",
            "retention_ends_on": file["retention_ends_on"],
        }
        assert held["canvassing"][0]["notes"] == "rappeler jeudi"

    async def test_a_request_about_an_unknown_person_is_answered_nothing_held(
        self, world: World
    ) -> None:
        request = _request(world, "access", email="nobody@example.org")

        await publish(
            world.svc, request, tenant_id=str(world.party_id), key=str(request.request_id)
        )

        [ack] = await published(world.svc, "rights.request.acknowledged")
        assert ack.payload["outcome"] == "nothing_held"

    async def test_a_rectification_is_applied_like_any_write(self, world: World) -> None:
        file = await world.create_file()
        contact = await world.create_contact(
            file["id"], email="ada@example.org", last_name="Lovelace"
        )
        good = _request(
            world,
            "rectification",
            contact_ids=[uuid.UUID(contact["id"])],
            rectification={"last_name": "King"},
        )
        bad = _request(
            world,
            "rectification",
            contact_ids=[uuid.UUID(contact["id"])],
            rectification={"religion": "x"},
        )

        await publish(world.svc, good, tenant_id=str(world.party_id), key=str(good.request_id))
        await publish(world.svc, bad, tenant_id=str(world.party_id), key=str(bad.request_id))

        acks = await published(world.svc, "rights.request.acknowledged", count=2)
        outcomes = {a.payload["request_id"]: a.payload["outcome"] for a in acks}
        assert outcomes == {str(good.request_id): "done", str(bad.request_id): "refused"}
        r = await world.client.get(
            world.path(f"/contacts/{contact['id']}"), headers=world.manager()
        )
        assert r.json()["last_name"] == "King"

    async def test_an_erasure_leaves_nothing_of_the_person_in_any_table(self, world: World) -> None:
        other = await world.create_campaign(candidate_name="Autre")
        file = await world.create_file()
        other_file = await world.create_file(other)
        erased = await world.create_contact(
            file["id"], email="ada@example.org", phone="0612345678", tags=["vélo"]
        )
        await world.create_contact(other_file["id"], other, email="ada@example.org")
        kept = await world.create_contact(file["id"], email="grace@example.org")
        await world.client.post(
            world.path("/interactions"),
            json={
                "kind": "door_to_door",
                "outcome": "met",
                "contact_id": erased["id"],
                "notes": "sympathique",
            },
            headers=world.volunteer(),
        )
        await publish(
            world.svc,
            _change(world, erased["id"], consent_ev.ConsentGranted, "granted"),
            tenant_id=str(world.campaign_id),
            key=erased["id"],
        )
        await eventually(lambda: _consent_rows(world), timeout=15)
        request = _request(world, "erasure", email="ada@example.org", campaign_id=None)

        await publish(
            world.svc, request, tenant_id=str(world.party_id), key=str(request.request_id)
        )

        [ack] = await published(world.svc, "rights.request.acknowledged")
        assert ack.payload["outcome"] == "done"
        deleted = await published(
            world.svc, "contact.deleted", lambda p: p["reason"] == "erasure", count=2
        )
        assert len({e.payload["campaign_id"] for e in deleted}) == 2
        secret = world.svc.settings.party_secret
        leftovers = await _rows_naming(
            world,
            [uuid.UUID(erased["id"])],
            [
                identity.email_hash(secret=secret, email="ada@example.org"),
                identity.phone_hash(secret=secret, phone="+33612345678"),
            ],
        )
        assert leftovers == {}
        assert await _contact_exists(world, kept["id"])


async def _consent_rows(world: World) -> int:
    async with world.svc.kernel.sessionmaker() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(models.ConsentState)) or 0
        )


async def _rows_naming(
    world: World, contact_ids: list[uuid.UUID], hashes: list[str]
) -> dict[str, int]:
    """Count, table by table, the rows that still name the person (by id, hash or value)."""
    checks = {
        "contacts": sa.select(sa.func.count())
        .select_from(models.Contact)
        .where(
            sa.or_(models.Contact.email_hash.in_(hashes), models.Contact.phone_hash.in_(hashes))
        ),  # type: ignore[union-attr]
        "interactions": sa.select(sa.func.count())
        .select_from(models.Interaction)
        .where(models.Interaction.contact_id.in_(contact_ids)),  # type: ignore[union-attr]
        "consent_states": sa.select(sa.func.count())
        .select_from(models.ConsentState)
        .where(models.ConsentState.contact_id.in_(contact_ids)),  # type: ignore[attr-defined]
        "import_errors": sa.select(sa.func.count())
        .select_from(models.ImportRowError)
        .where(
            sa.or_(
                models.ImportRowError.email_hash.in_(hashes),
                models.ImportRowError.phone_hash.in_(hashes),
            )
        ),  # type: ignore[union-attr]
        "contact_merges": sa.select(sa.func.count())
        .select_from(models.ContactMerge)
        .where(
            sa.or_(
                models.ContactMerge.kept_id.in_(contact_ids),  # type: ignore[attr-defined]
                models.ContactMerge.duplicate_id.in_(contact_ids),  # type: ignore[attr-defined]
            )
        ),
        "import_staging": sa.select(sa.func.count()).select_from(models.import_staging),
    }
    out = {}
    async with world.svc.kernel.sessionmaker() as session:
        for table, query in checks.items():
            n = int(await session.scalar(query) or 0)
            if n:
                out[table] = n
    return out
