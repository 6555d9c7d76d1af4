"""Journeys of data-subject requests answered by both services (R5, I3).

The request is published on the rights topic exactly as rights-svc will publish it: the
person is named by a contact id and by the keyed hash of their email (isoloir.identity with the
party secret). Each service answers with rights.request.acknowledged.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from journeys_bus import TopicReader, publish, rights_request, topic_reader
from journeys_support import Platform, Voter, platform_settings, unique_email, unique_phone, until
from journeys_team import NOTICE, Team, form_contact

from consent_svc.app import create_app as consent_app
from contacts_svc.app import create_app as contacts_app
from isoloir.events import Envelope
from isoloir.events import rights as rights_ev
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
SERVICES = {"contacts", "consent"}


async def acknowledgements(
    reader: TopicReader, request: rights_ev.RightsRequestOpened
) -> dict[str, Envelope]:
    """Wait for both services' answers to a request; return them by service."""
    found = await reader.wait_for(
        lambda e: (
            e.event_type == "rights.request.acknowledged"
            and e.payload["request_id"] == str(request.request_id)
        ),
        count=len(SERVICES),
    )
    for envelope in found:
        envelope.parse_payload()  # each answer honours the shared contract
    return {e.payload["service"]: e for e in found}


async def signed_up(team: Team, services: Platform, form_id: str, **person: str) -> uuid.UUID:
    """A person fills the campaign's form; wait until contacts-svc holds them."""
    before = {e["id"] for e in await team.ledger()}
    async with Voter(services) as voter:
        sent = await voter.fill_form(form_id, {**person, "consent": ["email:newsletter"]})
    assert sent.status_code == 200, sent.text
    contact_id = await form_contact(team, channel="email", before=before)

    async def created() -> bool:
        return (await team.contact(contact_id)).status_code == 200

    await eventually(created)
    await team.known_to_consent(contact_id)
    return contact_id


class TestAnErasureRequest:
    async def test_r05_both_services_erase_the_person_and_acknowledge_leaving_only_hashes(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        form_id = await team.publish_form([("email", "newsletter")])
        email, phone = unique_email("erase"), unique_phone()
        erased = await signed_up(team, services, form_id, email=email, phone=phone)
        kept = await signed_up(team, services, form_id, email=unique_email("keep"))
        # The same person is also a contact of another campaign of the party, by email only.
        other = await team.create_campaign("Autre candidate")
        await team.define_purpose("newsletter", other)
        twin = await team.create_contact((await team.create_file(other))["id"], other, email=email)
        await team.known_to_consent(twin["id"], other)
        granted = await team.record_consent(twin["id"], "granted", campaign_id=other)
        assert granted.status_code == 201, granted.text
        request = rights_request(
            "erasure",
            campaign_id=None,  # every campaign of the party
            contact_ids=[erased],
            email_hash=services.email_hash(email),
        )

        async with topic_reader(services, "rights") as reader:
            await publish(services, request, tenant_id=team.party_id, key=str(request.request_id))
            acks = await acknowledgements(reader, request)

        assert set(acks) == SERVICES
        assert {e.payload["outcome"] for e in acks.values()} == {"done"}
        assert (await team.contact(erased)).status_code == 404
        assert (await team.contact(twin["id"], other)).status_code == 404
        assert (await team.contact(kept)).status_code == 200
        assert (await team.consents(erased)).status_code == 404
        assert (await team.consents(twin["id"], other)).status_code == 404
        for campaign_id, gone in ((team.campaign_id, erased), (other, uuid.UUID(twin["id"]))):
            entries = await team.ledger(campaign_id)
            theirs = [e for e in entries if e["erased"]]
            assert theirs, entries
            assert all(
                (e["contact_id"], e["ip_address"], e["user_agent"], e["note"])
                == (None, None, None, None)
                for e in theirs
            )
            assert str(gone) not in {e["contact_id"] for e in entries}
            report = await team.verify_ledger(campaign_id)
            assert (report["ok"], report["entries_checked"]) == (True, len(entries))
        [still] = [e for e in await team.ledger() if not e["erased"]]
        assert (still["contact_id"], still["ip_address"]) == (str(kept), "127.0.0.1")
        assert await team.opposition_check(email=email, phone=phone) == {
            "listed": True,
            "email_listed": True,
            "phone_listed": True,
        }

        async def refused_again() -> dict[str, Any] | None:
            file = (await team.contact(kept)).json()["file_id"]
            r = await team.post_contact(file, email=email, kind="occasional", origin="form")
            return r.json() if r.status_code == 409 else None

        assert "opposition list" in (await until(refused_again))["detail"]


class TestAnAccessRequest:
    async def test_r05_both_services_acknowledge_with_an_export_that_names_the_origin(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        file = await team.create_file(name="Adhérents 2026", provenance="party_members")
        email = unique_email("access")
        person = await team.create_contact(file["id"], email=email, first_name="Ada")
        await team.known_to_consent(person["id"])
        granted = await team.record_consent(person["id"], "granted")
        assert granted.status_code == 201, granted.text
        request = rights_request(
            "access",
            campaign_id=team.campaign_id,
            contact_ids=[uuid.UUID(person["id"])],
            email_hash=services.email_hash(email),
        )
        nobody = rights_request(
            "access",
            campaign_id=team.campaign_id,
            contact_ids=[uuid.uuid4()],
            email_hash=services.email_hash(unique_email("nobody")),
        )

        async with topic_reader(services, "rights") as reader:
            for each in (request, nobody):
                tenant = str(team.campaign_id)
                await publish(services, each, tenant_id=tenant, key=str(each.request_id))
            acks = await acknowledgements(reader, request)
            empty = await acknowledgements(reader, nobody)

        assert {e.payload["outcome"] for e in acks.values()} == {"done"}
        [held] = acks["contacts"].payload["export"]["contacts"]
        assert (held["contact_id"], held["email"], held["first_name"]) == (
            person["id"],
            email,
            "Ada",
        )
        assert (held["origin"], held["kind"]) == ("party_file", "regular")
        assert held["file"]["name"] == "Adhérents 2026"
        assert held["file"]["provenance"] == "party_members"
        assert held["file"]["purpose"] == file["purpose"]
        consent_export = acks["consent"].payload["export"]
        [campaign] = consent_export["campaigns"]
        [entry] = campaign["entries"]
        assert (entry["contact_id"], entry["state"], entry["purpose"]) == (
            person["id"],
            "granted",
            "newsletter",
        )
        assert consent_export["notices"] == {entry["notice_sha256"]: NOTICE["text"]}
        # Access changes nothing, and a request about nobody held says so.
        assert (await team.contact(person["id"])).status_code == 200
        assert {e.payload["outcome"] for e in empty.values()} == {"nothing_held"}
        assert empty["contacts"].payload["export"] == {"service": "contacts", "contacts": []}


class TestAnErasureWhileConsentSvcIsStopped:
    async def test_i3_consent_svc_applies_the_erasure_it_missed_and_opposes_every_hash(
        self, broker: LocalBroker, databases: DatabaseFactory, tmp_path: Path
    ) -> None:
        contacts_settings, consent_settings = await platform_settings(
            broker=broker, databases=databases, import_dir=tmp_path
        )
        # The restarted consumer rejoins once the stopped one's session is over: keep it short.
        consent_settings = consent_settings.model_copy(update={"consumer_session_timeout_ms": 1000})
        email, phone = unique_email("away"), unique_phone()
        async with running(contacts_app(contacts_settings)) as contacts:
            async with running(consent_app(consent_settings)) as consent:
                team = await Team.register(Platform(contacts=contacts, consent=consent))
                await team.define_purpose("newsletter")
                form_id = await team.publish_form([("email", "newsletter")])
                person = await signed_up(team, team.platform, form_id, email=email, phone=phone)
            # consent-svc is stopped: contacts-svc alone reads the request and deletes.
            request = rights_request(
                "erasure",
                campaign_id=team.campaign_id,
                contact_ids=[person],
                email_hash=team.platform.email_hash(email),
            )
            async with topic_reader(team.platform, "contacts") as reader:
                await publish(
                    team.platform,
                    request,
                    tenant_id=str(team.campaign_id),
                    key=str(request.request_id),
                )
                await reader.wait_for(
                    lambda e: (
                        e.event_type == "contact.deleted" and e.payload["contact_id"] == str(person)
                    )
                )

            async with running(consent_app(consent_settings)) as consent:
                team.platform = Platform(contacts=contacts, consent=consent)
                async with topic_reader(team.platform, "rights") as reader:
                    acks = await acknowledgements(reader, request)

                assert {e.payload["outcome"] for e in acks.values()} == {"done"}
                assert (await team.contact(person)).status_code == 404
                assert (await team.consents(person)).status_code == 404
                [entry] = await team.ledger()
                assert (entry["erased"], entry["contact_id"]) == (True, None)
                assert (await team.verify_ledger())["ok"] is True
                # The phone was named by no one but consent-svc's own record of the contact.
                assert await team.opposition_check(email=email, phone=phone) == {
                    "listed": True,
                    "email_listed": True,
                    "phone_listed": True,
                }
