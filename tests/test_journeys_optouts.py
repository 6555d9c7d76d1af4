"""Journeys of opting out and of contact kinds across both services (R4, R12, R14).

An unsubscribe in consent-svc reaches contacts-svc's opposition list; a contact's kind set in
contacts-svc governs consent-svc's requests; a withdrawal in consent-svc strips the enrichment
held in contacts-svc.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

import pytest
from journeys_support import (
    Platform,
    Voter,
    applied_by_contacts,
    opposed_in_contacts,
    states_of,
    unique_email,
    unique_phone,
    until,
)
from journeys_team import NOTICE, Team

from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
ENRICHMENT = {
    "tags": ["bénévole"],
    "interests": ["transports"],
    "notes": "Prête à tracter le samedi",
    "support_level": 4,
}


async def granted_person(team: Team, **fields: Any) -> dict[str, Any]:
    """A regular contact created in contacts-svc who granted email newsletters in consent-svc."""
    await team.define_purpose("newsletter")
    file = await team.create_file()
    contact = await team.create_contact(file["id"], **fields)
    await team.known_to_consent(contact["id"])
    granted = await team.record_consent(contact["id"], "granted")
    assert granted.status_code == 201, granted.text
    return contact


async def finished_import(
    team: Team, content: bytes, file_id: str, campaign_id: uuid.UUID
) -> dict[str, Any]:
    r = await team.contacts.post(
        team.path(f"/imports?file_id={file_id}", campaign_id),
        content=content,
        headers={**team.manager(campaign_id), "content-type": "text/csv"},
    )
    assert r.status_code == 202, r.text

    async def done() -> dict[str, Any] | None:
        job = await team.contacts.get(
            team.path(f"/imports/{r.json()['id']}", campaign_id), headers=team.manager(campaign_id)
        )
        body: dict[str, Any] = job.json()
        return body if body["status"] in ("done", "failed") else None

    return await until(done, timeout=30)


class TestUnsubscribingThroughTheSignedLink:
    async def test_r04_a_one_click_post_withdraws_the_channel_in_both_services_and_opposes_no_one(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        email, phone = unique_email(), unique_phone()
        person = await granted_person(team, email=email, phone=phone, **ENRICHMENT)
        path = await team.unsubscribe_path(person["id"])

        async with Voter(services) as mail_client:
            response = await mail_client.one_click(path)

        assert response.status_code == 200, response.text
        assert states_of((await team.consents(person["id"])).json()) == {
            "email:newsletter": "withdrawn"
        }

        async def stripped() -> dict[str, Any] | None:
            body: dict[str, Any] = (await team.contact(person["id"])).json()
            return body if body["tags"] is None else None

        contact = await until(stripped)
        assert (contact["kind"], contact["interests"], contact["notes"]) == (
            "occasional",
            None,
            None,
        )
        # One click unsubscribes from this campaign only: nobody goes on the opposition list.
        assert (await team.opposition_check(email=email, phone=phone))["listed"] is False
        other = await team.create_campaign("Autre candidate")
        elsewhere = await team.post_contact(
            (await team.create_file(other))["id"], other, email=email
        )
        assert elsewhere.status_code == 201, elsewhere.text

    async def test_r04_a_party_wide_unsubscribe_makes_contacts_svc_refuse_the_person_again(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        email, phone = unique_email(), unique_phone()
        person = await granted_person(team, email=email, phone=phone)
        path = await team.unsubscribe_path(person["id"])
        other = await team.create_campaign("Autre candidate")
        other_file = await team.create_file(other)

        async with Voter(services) as browser:
            response = await browser.unsubscribe(path, scope="party")

        assert response.status_code == 200, response.text
        assert await team.opposition_check(email=email, phone=phone) == {
            "listed": True,
            "email_listed": True,
            "phone_listed": True,
        }

        await eventually(lambda: opposed_in_contacts(services, email=email, phone=phone))
        by_email = await team.post_contact(other_file["id"], other, email=email.upper())
        by_phone = await team.post_contact(other_file["id"], other, phone=phone)

        assert by_email.status_code == 409, by_email.text
        assert by_email.json()["errors"] == [
            {"field": "email/phone", "reason": "on the opposition list"}
        ]
        assert by_phone.status_code == 409, by_phone.text
        assert "opposition list" in by_phone.json()["detail"]
        assert await team.contact_list(other) == []

    async def test_r04_an_import_skips_a_person_unsubscribed_from_the_whole_party(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        email = unique_email()
        person = await granted_person(team, email=email)
        path = await team.unsubscribe_path(person["id"])
        async with Voter(services) as browser:
            await browser.unsubscribe(path, scope="party")
        await eventually(lambda: opposed_in_contacts(services, email=email))
        other = await team.create_campaign("Autre candidate")
        other_file = await team.create_file(other)
        newcomer = unique_email("newcomer")
        content = f"Nom;Email\nMartin;{email}\nDurand;{newcomer}\n".encode()

        job = await finished_import(team, content, other_file["id"], other)

        assert (job["status"], job["created"], job["skipped"]) == ("done", 1, 1)
        report = await team.contacts.get(
            team.path(f"/imports/{job['id']}/errors", other), headers=team.manager(other)
        )
        rows = list(csv.DictReader(io.StringIO(report.text)))
        assert [(r["row"], r["reason"]) for r in rows] == [("2", "on the opposition list: skipped")]
        assert [c["email"] for c in await team.contact_list(other)] == [newcomer]

    async def test_a_person_who_consents_again_on_a_form_is_taken_off_the_list_in_both_services(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        email = unique_email()
        person = await granted_person(team, email=email)
        async with Voter(services) as browser:
            await browser.unsubscribe(await team.unsubscribe_path(person["id"]), scope="party")
        await eventually(lambda: opposed_in_contacts(services, email=email))
        other = await team.create_campaign("Autre candidate")
        await team.define_purpose("newsletter", other)
        form_id = await team.publish_form([("email", "newsletter")], campaign_id=other)

        async with Voter(services) as voter:
            sent = await voter.fill_form(form_id, {"email": email, "consent": ["email:newsletter"]})

        assert sent.status_code == 200, sent.text

        async def created() -> list[dict[str, Any]]:
            return await team.contact_list(other)

        [contact] = await until(created)
        assert (contact["email"], contact["origin"]) == (email, "form")
        assert not await opposed_in_contacts(services, email=email)
        assert (await team.opposition_check(email=email))["listed"] is False


class TestContactKindsAcrossServices:
    async def test_r12_an_occasional_contact_of_contacts_svc_is_asked_for_consent_only_once(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        file = await team.create_file()
        occasional = await team.create_contact(file["id"], kind="occasional", email=unique_email())
        regular = await team.create_contact(file["id"], kind="regular", email=unique_email())
        assert (await team.known_to_consent(occasional["id"]))["kind"] == "occasional"
        assert (await team.known_to_consent(regular["id"]))["kind"] == "regular"

        async def ask(contact_id: str) -> Any:
            return await team.consent.post(
                team.path("/consent-requests"),
                json={
                    "contact_id": contact_id,
                    "asks": [{"channel": "email", "purpose": "newsletter"}],
                    "notice": NOTICE,
                },
                headers=team.manager(),
            )

        first = await ask(occasional["id"])
        second = await ask(occasional["id"])

        assert first.status_code == 201, first.text
        assert second.status_code == 422, second.text
        assert second.json()["rule"] == "R12"
        first_at = datetime.fromisoformat(second.json()["first_requested_at"])
        assert first_at == datetime.fromisoformat(first.json()["requested_at"])
        assert first.json()["requested_at"][:19] in second.json()["detail"]
        # The rule follows the kind contacts-svc gave: a regular contact may be asked again.
        assert (await ask(regular["id"])).status_code == 201
        assert (await ask(regular["id"])).status_code == 201

    async def test_r14_a_regular_contact_that_withdraws_in_consent_svc_loses_its_enrichment(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        person = await granted_person(team, email=unique_email(), **ENRICHMENT)

        async def grant_applied() -> bool:
            return (await applied_by_contacts(services, person["id"])) == {
                "email:newsletter": "granted"
            }

        await eventually(grant_applied)
        assert (await team.contact(person["id"])).json()["tags"] == ["bénévole"]

        withdrawn = await team.record_consent(person["id"], "withdrawn")

        assert withdrawn.status_code == 201, withdrawn.text

        async def stripped() -> dict[str, Any] | None:
            body: dict[str, Any] = (await team.contact(person["id"])).json()
            return body if body["kind"] == "occasional" else None

        contact = await until(stripped)
        assert {name: contact[name] for name in ENRICHMENT} == dict.fromkeys(ENRICHMENT)
        assert contact["email"] == person["email"]

        async def consent_svc_sees_occasional() -> bool:
            return (await team.consents(person["id"])).json()["kind"] == "occasional"

        await eventually(consent_svc_sees_occasional)
        again = await team.contacts.patch(
            team.path(f"/contacts/{person['id']}"), json={"tags": ["x"]}, headers=team.manager()
        )
        assert again.status_code == 422
        assert again.json()["rule"] == "R14"

    async def test_r13_a_social_network_contact_becomes_regular_only_once_it_consented(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        await team.define_purpose("newsletter")
        file = await team.create_file(
            name="Abonnés de la page",
            provenance="social_network",
            notice_reference="Message d'information publié le 3 mars",
        )
        follower = await team.create_contact(
            file["id"], kind="occasional", origin="social_network", email=unique_email()
        )
        await team.known_to_consent(follower["id"])

        async def make_regular() -> Any:
            return await team.contacts.patch(
                team.path(f"/contacts/{follower['id']}"),
                json={"kind": "regular"},
                headers=team.manager(),
            )

        before = await make_regular()
        granted = await team.record_consent(follower["id"], "granted")
        assert granted.status_code == 201, granted.text

        async def accepted() -> Any:
            r = await make_regular()
            return r if r.status_code == 200 else None

        after = await until(accepted)

        assert (before.status_code, before.json()["rule"]) == (422, "R13")
        assert after.json()["kind"] == "regular"

        async def consent_svc_sees_regular() -> bool:
            return (await team.consents(follower["id"])).json()["kind"] == "regular"

        await eventually(consent_svc_sees_regular)
