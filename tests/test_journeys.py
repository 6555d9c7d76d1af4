"""Journeys through contacts-svc and consent-svc together: a voter's form, a refusal (R11, R12).

Both services run at once on the real PostgreSQL and the real broker (see conftest.py); each
test works in a party of its own, so the module shares one pair of running services.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from journeys_bus import topic_reader
from journeys_support import Platform, Voter, states_of, until
from journeys_team import Team, form_contact
from sqlmodel import col

from consent_svc.models import Submission
from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def settled(services: Platform, contact_id: uuid.UUID, status: str) -> None:
    """Wait until consent-svc has settled the submission of a proposed contact as `status`."""

    async def reached() -> bool:
        async with services.consent.kernel.sessionmaker() as session:
            found = await session.scalar(
                sa.select(col(Submission.status)).where(
                    col(Submission.proposed_contact_id) == contact_id
                )
            )
        return found == status

    await eventually(reached, timeout=15)


class TestAVoterFillsAConsentForm:
    async def test_r11_the_ledger_records_the_ticked_box_and_contacts_svc_creates_the_contact(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        form_id = await team.publish_form([("email", "newsletter"), ("sms", "newsletter")])
        person = {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.org"}

        async with Voter(services) as voter:
            sent = await voter.fill_form(form_id, {**person, "consent": ["email:newsletter"]})

        assert sent.status_code == 200, sent.text
        [entry] = await team.ledger()
        assert (entry["channel"], entry["purpose"], entry["state"]) == (
            "email",
            "newsletter",
            "granted",
        )
        assert (entry["method"], entry["collector"], entry["form_id"]) == (
            "web_form",
            "self",
            form_id,
        )
        assert entry["user_agent"] == "Mozilla/5.0 (journey tests)"
        proposed = uuid.UUID(entry["contact_id"])

        async def created() -> dict[str, Any] | None:
            r = await team.contact(proposed)
            return r.json() if r.status_code == 200 else None

        contact = await until(created)
        assert (contact["id"], contact["origin"], contact["kind"]) == (
            str(proposed),
            "form",
            "regular",
        )
        assert (contact["first_name"], contact["email"]) == ("Camille", "camille@example.org")
        file = await team.contacts.get(
            team.path(f"/files/{contact['file_id']}"), headers=team.manager()
        )
        assert file.json()["provenance"] == "campaign_collection"
        # consent-svc reads contact.created back: the submission is settled as created.
        await settled(services, proposed, "created")
        states = await team.consents(proposed)
        assert states_of(states.json()) == {"email:newsletter": "granted"}

    async def test_a_second_submission_is_merged_and_consent_svc_reads_it_as_the_kept_contact(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        form_id = await team.publish_form([("email", "newsletter"), ("sms", "newsletter")])
        async with Voter(services) as voter:
            await voter.fill_form(
                form_id, {"email": "lou@example.org", "consent": ["email:newsletter"]}
            )
        first = await form_contact(team, channel="email", before=set())
        await settled(services, first, "created")
        before = {e["id"] for e in await team.ledger()}

        async with topic_reader(services, "contacts") as reader, Voter(services) as voter:
            again = await voter.fill_form(
                form_id,
                {
                    "first_name": "Lou",
                    "email": "Lou@Example.org",
                    "phone": "06 12 34 56 78",
                    "consent": ["sms:newsletter"],
                },
            )
            second = await form_contact(team, channel="sms", before=before)
            [merged] = await reader.wait_for(
                lambda e: (
                    e.event_type == "contact.merged" and e.payload["duplicate_id"] == str(second)
                )
            )

        assert again.status_code == 200, again.text
        assert second != first
        assert merged.payload["kept_id"] == str(first)
        await settled(services, second, "merged")
        read = await team.consents(second)
        assert read.status_code == 200, read.text
        assert read.json()["contact_id"] == str(first)
        assert states_of(read.json()) == {
            "email:newsletter": "granted",
            "sms:newsletter": "granted",
        }
        history = await team.consent.get(
            team.path(f"/contacts/{second}/consents/history"), headers=team.manager()
        )
        assert {e["contact_id"] for e in history.json()} == {str(first), str(second)}
        assert (await team.contact(second)).status_code == 404
        [kept] = await team.contact_list()
        assert (kept["id"], kept["first_name"], kept["phone"]) == (
            str(first),
            "Lou",
            "+33612345678",
        )


class TestARefusalDeletesTheContact:
    async def test_r12_a_refusal_recorded_in_consent_svc_makes_contacts_svc_delete_the_contact(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        file = await team.create_file()
        refusing = await team.create_contact(file["id"], email="non@example.org", tags=["voisin"])
        staying = await team.create_contact(file["id"], email="oui@example.org")
        await team.known_to_consent(refusing["id"])
        await team.known_to_consent(staying["id"])

        async with topic_reader(services, "contacts") as reader:
            refused = await team.record_consent(refusing["id"], "refused")
            [deleted] = await reader.wait_for(
                lambda e: (
                    e.event_type == "contact.deleted" and e.payload["contact_id"] == refusing["id"]
                )
            )

        assert refused.status_code == 201, refused.text
        assert deleted.payload["reason"] == "refusal"
        gone = await team.contact(refusing["id"])
        assert gone.status_code == 404
        assert gone.headers["content-type"].startswith("application/problem+json")
        assert (await team.contact(staying["id"])).status_code == 200
        # consent-svc then forgets the person too: no states, evidence erased, chain intact.

        async def forgotten() -> bool:
            return (await team.consents(refusing["id"])).status_code == 404

        await eventually(forgotten)
        [entry] = [e for e in await team.ledger() if e["state"] == "refused"]
        assert (entry["erased"], entry["contact_id"]) == (True, None)
        assert (await team.verify_ledger())["ok"] is True


class TestTheRetentionPurgeReachesConsentSvc:
    async def test_r09_a_purged_files_contacts_are_forgotten_by_consent_svc_too(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        tomorrow = date.today() + timedelta(days=1)
        file = await team.create_file(retention_ends_on=str(tomorrow))
        email = "fin@example.org"
        contact = await team.create_contact(file["id"], email=email)
        await team.known_to_consent(contact["id"])
        assert (await team.record_consent(contact["id"], "granted")).status_code == 201
        moved = await team.contacts.patch(
            team.path(f"/files/{file['id']}"),
            json={"retention_ends_on": str(date.today())},
            headers=team.manager(),
        )
        assert moved.status_code == 200, moved.text

        purged = await team.contacts.post(team.path("/purges"), headers=team.manager())

        assert purged.status_code == 200, purged.text
        assert [r["purged_count"] for r in purged.json()] == [1]
        assert (await team.contact(contact["id"])).status_code == 404

        async def forgotten() -> bool:
            return (await team.consents(contact["id"])).status_code == 404

        await eventually(forgotten)
        [entry] = await team.ledger()
        assert (entry["erased"], entry["contact_id"]) == (True, None)
        assert (await team.verify_ledger())["ok"] is True
        # Retention ended; the person objected to nothing and may be collected again.
        assert (await team.opposition_check(email=email))["listed"] is False


class TestASubmissionContactsSvcTurnsDown:
    async def test_the_consents_of_a_rejected_submission_are_withdrawn_and_their_evidence_erased(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        # consent-svc does not know campaigns' dates; contacts-svc refuses to collect after the end.
        ended = await team.create_campaign("Campagne close", ends_in_days=-1)
        await team.define_purpose("newsletter", ended)
        form_id = await team.publish_form([("email", "newsletter")], campaign_id=ended)

        async with topic_reader(services, "contacts") as reader, Voter(services) as voter:
            sent = await voter.fill_form(
                form_id, {"email": "tard@example.org", "consent": ["email:newsletter"]}
            )
            [grant] = await team.ledger(ended)
            proposed = uuid.UUID(grant["contact_id"])
            [rejected] = await reader.wait_for(
                lambda e: (
                    e.event_type == "contact.rejected" and e.payload["proposed_id"] == str(proposed)
                )
            )

        assert sent.status_code == 200, sent.text
        assert rejected.payload["reason"] == "campaign_closed"

        async def withdrawn() -> list[dict[str, Any]] | None:
            entries = await team.ledger(ended)
            return entries if len(entries) == 2 else None

        grant_after, withdrawal = await until(withdrawn)
        assert (grant_after["id"], grant_after["erased"], grant_after["ip_address"]) == (
            grant["id"],
            True,
            None,
        )
        assert (withdrawal["state"], withdrawal["collector"], withdrawal["reason"]) == (
            "withdrawn",
            "system:contacts-svc",
            "contact_rejected:campaign_closed",
        )
        assert withdrawal["contact_id"] is None
        assert (await team.verify_ledger(ended))["ok"] is True
        assert (await team.consents(proposed, ended)).status_code == 404
        assert await team.contact_list(ended) == []
