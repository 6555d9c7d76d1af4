"""Journey of a primary-election file reused in the official campaign (R9).

The consent to the reserved purpose "official_campaign_reuse" is recorded in consent-svc,
by staff or by the person on a form; contacts-svc copies exactly the contacts that gave it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from journeys_bus import topic_reader
from journeys_support import Platform, Voter, applied_by_contacts, states_of, unique_email
from journeys_team import NOTICE, Team, form_contact

from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
REUSE = "official_campaign_reuse"


async def primary_and_official(team: Team) -> tuple[dict[str, Any], uuid.UUID]:
    primary = await team.create_file(
        name="Primaire 2026", provenance="party_supporters", election_stage="primary"
    )
    return primary, await team.create_campaign("Candidate désignée")


async def reuse(team: Team, primary: dict[str, Any], official: uuid.UUID) -> Any:
    return await team.contacts.post(
        f"/v1/parties/{team.party_id}/file-reuses",
        json={"source_file_id": primary["id"], "target_campaign_id": str(official)},
        headers=team.admin(),
    )


class TestReusingAPrimaryFile:
    async def test_r09_only_the_contacts_that_consented_in_consent_svc_are_copied(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        primary, official = await primary_and_official(team)
        yes, asked, silent = [
            await team.create_contact(primary["id"], email=unique_email(label))
            for label in ("yes", "asked", "silent")
        ]
        for contact in (yes, asked, silent):
            await team.known_to_consent(contact["id"])
        granted = await team.record_consent(yes["id"], "granted", channel="post", purpose=REUSE)
        requested = await team.consent.post(
            team.path("/consent-requests"),
            json={
                "contact_id": asked["id"],
                "asks": [{"channel": "email", "purpose": REUSE}],
                "notice": NOTICE,
            },
            headers=team.manager(),
        )
        assert (granted.status_code, requested.status_code) == (201, 201)

        async def both_applied() -> bool:
            return await applied_by_contacts(services, yes["id"]) == {
                f"post:{REUSE}": "granted"
            } and await applied_by_contacts(services, asked["id"]) == {f"email:{REUSE}": "pending"}

        await eventually(both_applied)

        r = await reuse(team, primary, official)

        assert r.status_code == 201, r.text
        assert (r.json()["copied"], r.json()["left_behind"]) == (1, 2)
        assert r.json()["file"]["election_stage"] == "official"
        [copy] = await team.contact_list(official)
        assert (copy["email"], copy["origin"]) == (yes["email"], "party_file")
        assert copy["id"] != yes["id"]
        # consent-svc learns the copy from contact.created, in the official campaign.
        assert (await team.known_to_consent(copy["id"], official))["kind"] == "regular"

    async def test_r09_a_reuse_consent_ticked_on_a_form_by_a_person_of_the_file_is_honoured(
        self, services: Platform
    ) -> None:
        team = await Team.register(services)
        primary, official = await primary_and_official(team)
        email = unique_email("supporter")
        known = await team.create_contact(primary["id"], email=email, first_name="Ada")
        await team.known_to_consent(known["id"])
        form_id = await team.publish_form([("email", REUSE)])

        async with topic_reader(services, "contacts") as reader, Voter(services) as voter:
            sent = await voter.fill_form(form_id, {"email": email, "consent": [f"email:{REUSE}"]})
            proposed = await form_contact(team, channel="email", before=set())
            await reader.wait_for(
                lambda e: (
                    e.event_type == "contact.merged" and e.payload["duplicate_id"] == str(proposed)
                )
            )

        assert sent.status_code == 200, sent.text

        async def consent_svc_reads_the_kept_contact() -> bool:
            body = (await team.consents(known["id"])).json()
            return states_of(body) == {f"email:{REUSE}": "granted"}

        await eventually(consent_svc_reads_the_kept_contact)

        async def applied() -> bool:
            return await applied_by_contacts(services, known["id"]) == {f"email:{REUSE}": "granted"}

        await eventually(applied)
        r = await reuse(team, primary, official)

        assert r.status_code == 201, r.text
        assert (r.json()["copied"], r.json()["left_behind"]) == (1, 0)
        assert [c["email"] for c in await team.contact_list(official)] == [email]
        assert await applied_by_contacts(services, proposed) == {}
