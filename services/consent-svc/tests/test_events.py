"""Events consumed: contact merges, rejections and deletions, and rights requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
import support
from support import manager

from consent_svc.models import Entry, KnownContact, Opposition
from isoloir.db import utcnow
from isoloir.events import contacts, rights
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


async def person(
    svc: RunningService, tokens: Tokens, *, email: str | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    campaign = uuid.uuid4()
    await support.purpose(svc, tokens, campaign)
    email = email or f"{uuid.uuid4().hex[:8]}@example.org"
    contact = await support.known_contact(svc, campaign, email=email, phone="0699887766")
    await support.grant(svc, tokens, campaign, contact, channel="email", note="met at the market")
    return campaign, contact


async def entries_of(svc: RunningService, campaign: uuid.UUID) -> list[Entry]:
    async with svc.kernel.sessionmaker() as session:
        rows = await session.scalars(
            sa.select(Entry).where(Entry.campaign_id == campaign).order_by(Entry.seq)  # type: ignore[arg-type]
        )
        return list(rows)


async def verify(svc: RunningService, tokens: Tokens, campaign: uuid.UUID) -> dict[str, Any]:
    response = await svc.client.get(
        f"/v1/campaigns/{campaign}/ledger/verify", headers=manager(tokens, campaign)
    )
    result: dict[str, Any] = response.json()
    return result


async def rights_request(
    svc: RunningService, kind: str, **fields: Any
) -> tuple[uuid.UUID, dict[str, Any]]:
    request_id = uuid.uuid4()
    payload = rights.RightsRequestOpened(
        request_id=request_id,
        kind=kind,
        due_at=utcnow(),
        occurred_at=utcnow(),
        **fields,  # type: ignore[arg-type]
    )
    async with support.topic_reader(svc, "rights") as reader:
        await support.publish(svc, payload, key=str(request_id))
        ack = await reader.wait_for(
            lambda e: (
                e.event_type == "rights.request.acknowledged"
                and e.payload["request_id"] == str(request_id)
            )
        )
    return request_id, ack.payload


class TestContactEvents:
    async def test_a_merge_aliases_the_duplicate_without_rewriting_entries(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, duplicate = await person(svc, tokens)
        kept = await support.known_contact(svc, campaign)
        await support.grant(svc, tokens, campaign, kept, channel="sms")
        before = [(e.id, e.contact_id, e.entry_hash) for e in await entries_of(svc, campaign)]

        await support.publish(
            svc,
            contacts.ContactMerged(
                campaign_id=campaign, duplicate_id=duplicate, kept_id=kept, occurred_at=utcnow()
            ),
            key=str(kept),
        )

        async def merged() -> Any:
            response = await svc.client.get(
                f"/v1/campaigns/{campaign}/contacts/{duplicate}/consents",
                headers=manager(tokens, campaign),
            )
            return (
                response.status_code == 200
                and response.json()["contact_id"] == str(kept)
                and response
            )

        response = await eventually(merged, timeout=15)
        assert {s["channel"]: s["state"] for s in response.json()["states"]} == {
            "email": "granted",
            "sms": "granted",
        }
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{kept}/consents/history",
            headers=manager(tokens, campaign),
        )
        assert len(history.json()) == 2
        assert [
            (e.id, e.contact_id, e.entry_hash) for e in await entries_of(svc, campaign)
        ] == before
        # New changes made through the duplicate's id land on the kept contact.
        withdrawn = await support.grant(
            svc, tokens, campaign, duplicate, state="withdrawn", notice=None
        )
        assert withdrawn["contact_id"] == str(kept)
        assert (await verify(svc, tokens, campaign))["ok"] is True

    async def test_a_deleted_contact_is_forgotten_and_the_chain_still_verifies(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        campaign, contact = await person(svc, tokens, email=email)

        await support.publish(
            svc,
            contacts.ContactDeleted(
                contact_id=contact, campaign_id=campaign, reason="refusal", occurred_at=utcnow()
            ),
            key=str(contact),
        )

        async def forgotten() -> bool:
            async with svc.kernel.sessionmaker() as session:
                return await session.get(KnownContact, contact) is None

        await eventually(forgotten, timeout=15)
        [entry] = await entries_of(svc, campaign)
        assert entry.contact_id is None
        assert entry.note is None
        assert entry.erased_at is not None
        assert entry.personal_salt is None
        assert (await verify(svc, tokens, campaign))["ok"] is True
        # Deleted after a refusal, not opposed: the opposition list is for erasure and objection.
        check = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": email},
            headers=manager(tokens, campaign),
        )
        assert check.json()["listed"] is False

    async def test_a_rejected_submission_withdraws_its_consents_and_keeps_the_proof_chain(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await person(svc, tokens)

        async with support.topic_reader(svc) as reader:
            await support.publish(
                svc,
                contacts.ContactRejected(
                    campaign_id=campaign,
                    proposed_id=contact,
                    reason="invalid",
                    occurred_at=utcnow(),
                ),
                key=str(contact),
            )
            withdrawn = await reader.wait_for(
                lambda e: e.event_type == "consent.withdrawn" and e.key == str(contact)
            )

        entries = await entries_of(svc, campaign)
        assert [e.state for e in entries] == ["granted", "withdrawn"]
        assert entries[1].method == "staff_entry"
        assert entries[1].reason == "contact_rejected:invalid"
        assert withdrawn.payload["optout_seq"] > 0
        assert (await verify(svc, tokens, campaign))["ok"] is True


class TestRightsRequests:
    async def test_access_exports_the_full_history_with_evidence_and_notices(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        campaign, contact = await person(svc, tokens, email=email)

        _, ack = await rights_request(
            svc, "access", campaign_id=None, **support.hashes(svc, email=email)
        )

        assert ack["service"] == "consent"
        assert ack["outcome"] == "done"
        [exported] = ack["export"]["campaigns"]
        assert exported["campaign_id"] == str(campaign)
        [entry] = exported["entries"]
        assert entry["contact_id"] == str(contact)
        assert entry["note"] == "met at the market"
        assert ack["export"]["notices"][entry["notice_sha256"]] == support.NOTICE["text"]

    async def test_a_request_about_nobody_known_says_nothing_is_held(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, ack = await rights_request(
            svc, "portability", campaign_id=None, contact_ids=[uuid.uuid4()]
        )

        assert ack["outcome"] == "nothing_held"
        assert ack["export"]["campaigns"] == []

    async def test_erasure_keeps_only_the_opposition_hashes_and_a_verifiable_chain(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        campaign, contact = await person(svc, tokens, email=email)
        known = support.hashes(svc, email=email, phone="0699887766")

        _, ack = await rights_request(svc, "erasure", campaign_id=campaign, contact_ids=[contact])

        assert ack["outcome"] == "done"
        [entry] = await entries_of(svc, campaign)
        assert (entry.contact_id, entry.ip_address, entry.note) == (None, None, None)
        async with svc.kernel.sessionmaker() as session:
            listed = set(await session.scalars(sa.select(Opposition.hash)))
            assert await session.get(KnownContact, contact) is None
        assert {known["email_hash"], known["phone_hash"]} <= listed
        assert (await verify(svc, tokens, campaign))["ok"] is True

    async def test_erasure_opposes_every_hash_even_when_contacts_svc_deleted_the_contact_first(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        # contacts-svc answers the same request with contact.deleted on another topic, which
        # may be read first: the phone hash, known here only, must still be opposed.
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        campaign, contact = await person(svc, tokens, email=email)
        known = support.hashes(svc, email=email, phone="0699887766")
        deleted = contacts.ContactDeleted(
            contact_id=contact, campaign_id=campaign, reason="erasure", occurred_at=utcnow()
        )
        await support.publish(svc, deleted, key=str(contact))

        async def forgotten() -> bool:
            async with svc.kernel.sessionmaker() as session:
                return await session.get(KnownContact, contact) is None

        await eventually(forgotten, timeout=15)

        _, ack = await rights_request(
            svc,
            "erasure",
            campaign_id=None,
            contact_ids=[contact],
            email_hash=known["email_hash"],
        )

        check = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": email, "phone": "0699887766"},
            headers=manager(tokens, campaign),
        )
        assert ack["outcome"] == "done"
        assert check.json() == {"listed": True, "email_listed": True, "phone_listed": True}

    async def test_an_objection_withdraws_everything_and_opposes(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@example.org"
        campaign, contact = await person(svc, tokens, email=email)
        await support.grant(svc, tokens, campaign, contact, channel="sms")

        _, ack = await rights_request(
            svc, "objection", campaign_id=None, **support.hashes(svc, email=email)
        )

        states = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
            headers=manager(tokens, campaign),
        )
        check = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": email},
            headers=manager(tokens, campaign),
        )
        assert ack["outcome"] == "done"
        assert {s["state"] for s in states.json()["states"]} == {"withdrawn"}
        assert check.json()["listed"] is True

    async def test_rectification_is_answered_with_nothing_held(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, contact = await person(svc, tokens)

        _, ack = await rights_request(
            svc,
            "rectification",
            campaign_id=campaign,
            contact_ids=[contact],
            rectification={"email": "x@y.fr"},
        )

        assert ack["outcome"] == "nothing_held"
