"""The public consent form (R3, R11): rendering, submission, CSRF, bots, rate limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
import support
from pages_support import FORM_TYPE, open_form, proposed_contact, submissions, submit
from support import manager

from consent_svc.models import FormVersion
from isoloir.db import utcnow
from isoloir.events import contacts
from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
PERSON = {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.org"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def svc(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.consent_service(broker, databases) as running_svc:
        yield running_svc


async def new_form(
    svc: RunningService, tokens: Tokens, **overrides: object
) -> tuple[uuid.UUID, str]:
    campaign = uuid.uuid4()
    await support.purpose(svc, tokens, campaign)
    return campaign, await support.published_form(svc, tokens, campaign, **overrides)


class TestRendering:
    async def test_r11_the_form_renders_one_unticked_box_per_offer(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        html, _ = await open_form(svc, form_id)

        boxes = re.findall(r"<input type=\"checkbox\"[^>]*>", html)
        assert [re.search(r'value="([^"]+)"', b).group(1) for b in boxes] == [  # type: ignore[union-attr]
            "email:newsletter",
            "sms:newsletter",
        ]
        assert not any("checked" in b for b in boxes)

    async def test_the_page_is_french_first_and_english_on_request(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        french, _ = await open_form(svc, form_id)
        english, _ = await open_form(svc, form_id, lang="en")

        assert '<html lang="fr">' in french
        assert "J&#39;accepte d&#39;être contacté(e) par e-mail" in french
        assert '<html lang="en">' in english
        assert "I agree to be contacted by email" in english
        assert "Stay informed" in english

    async def test_the_page_loads_nothing_from_elsewhere_and_runs_no_script(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        page = await svc.client.get(f"/f/{form_id}")

        assert "<script" not in page.text.lower()
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["content-type"].startswith("text/html")

    async def test_an_unknown_or_unpublished_form_is_a_404_page(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        missing = await svc.client.get(f"/f/{uuid.uuid4()}")
        garbage = await svc.client.get("/f/not-a-form")

        assert (missing.status_code, garbage.status_code) == (404, 404)
        assert "pas disponible" in missing.text


class TestSubmission:
    async def test_r11_a_submission_records_each_ticked_consent_with_its_evidence(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, form_id = await new_form(svc, tokens)

        response = await submit(svc, form_id, {**PERSON, "consent": ["email:newsletter"]})

        assert response.status_code == 200, response.text
        assert "Merci" in response.text
        contact = await proposed_contact(svc, form_id)
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
            headers=manager(tokens, campaign),
        )
        [entry] = history.json()
        async with svc.kernel.sessionmaker() as session:
            version = await session.get(FormVersion, (uuid.UUID(form_id), 1))
        assert version is not None
        assert (entry["channel"], entry["purpose"], entry["state"]) == (
            "email",
            "newsletter",
            "granted",
        )
        assert entry["method"] == "web_form"
        assert entry["collector"] == "self"
        assert entry["form_id"] == form_id
        assert entry["form_version"] == 1
        assert entry["notice_sha256"] == version.notice_fr_sha256
        assert entry["ip_address"] == "127.0.0.1"
        assert entry["user_agent"].startswith("python-httpx")

    async def test_the_english_page_records_the_english_notice(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, form_id = await new_form(svc, tokens)

        await submit(svc, form_id, {**PERSON, "consent": ["email:newsletter"]}, lang="en")

        contact = await proposed_contact(svc, form_id)
        history = await svc.client.get(
            f"/v1/campaigns/{campaign}/contacts/{contact}/consents/history",
            headers=manager(tokens, campaign),
        )
        notice = await svc.client.get(
            f"/v1/campaigns/{campaign}/notices/{history.json()[0]['notice_sha256']}",
            headers=manager(tokens, campaign),
        )
        assert history.json()[0]["language"] == "en"
        assert "I agree to be contacted by email" in notice.json()["text"]

    async def test_the_submission_reaches_contacts_svc_as_an_event_and_waits_for_it(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, form_id = await new_form(svc, tokens)

        async with support.topic_reader(svc) as reader:
            await submit(
                svc, form_id, {**PERSON, "phone": "06 12 34 56 78", "consent": ["sms:newsletter"]}
            )
            contact = await proposed_contact(svc, form_id)
            event = await reader.wait_for(
                lambda e: e.event_type == "consent.form_submitted" and e.key == str(contact)
            )
        # contacts-svc answers later (it may be down meanwhile): the contact is created.
        await support.publish(
            svc,
            contacts.ContactCreated(
                contact_id=contact,
                campaign_id=campaign,
                file_id=uuid.uuid4(),
                kind="regular",
                origin="form",
                occurred_at=utcnow(),
            ),
            key=str(contact),
        )

        async def created() -> bool:
            return (await submissions(svc, form_id))[0].status == "created"

        await eventually(created, timeout=15)
        assert event.payload["email"] == "camille@example.org"
        assert event.payload["phone"] == "+33612345678"
        assert event.payload["contact_kind"] == "regular"

    @pytest.mark.parametrize(
        "ticked",
        [
            ["all"],
            ["email:newsletter,sms:newsletter"],
            ["email:all"],
            ["*:newsletter"],
            ["email:newsletter", "email:newsletter"],
        ],
    )
    async def test_r11_a_bundled_value_is_refused_and_nothing_recorded(
        self, svc: RunningService, tokens: Tokens, ticked: list[str]
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        response = await submit(svc, form_id, {**PERSON, "consent": ticked})

        assert response.status_code == 422
        assert "une case par moyen de contact" in response.text
        assert await submissions(svc, form_id) == []

    async def test_a_box_the_form_does_not_offer_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        response = await submit(svc, form_id, {**PERSON, "consent": ["phone:newsletter"]})

        assert response.status_code == 422
        assert await submissions(svc, form_id) == []

    async def test_bad_details_are_named_and_what_was_typed_is_kept(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        response = await submit(
            svc,
            form_id,
            {
                "first_name": "Camille",
                "email": "not-an-email",
                "postal_code": "7500",
                "consent": ["sms:newsletter"],
            },
        )

        assert response.status_code == 422
        assert "Cette adresse e-mail n&#39;est pas valide." in response.text
        assert "Indiquez votre numéro de téléphone" in response.text
        assert "Le code postal doit compter cinq chiffres." in response.text
        assert 'value="Camille"' in response.text
        assert await submissions(svc, form_id) == []

    async def test_a_submission_with_nothing_ticked_records_nothing(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        response = await submit(svc, form_id, PERSON)

        assert response.status_code == 422
        assert "Cochez au moins une case" in response.text
        assert await submissions(svc, form_id) == []

    async def test_a_person_on_the_opposition_list_who_consents_again_leaves_it(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, form_id = await new_form(svc, tokens)
        email_hash = support.hashes(svc, email="camille@example.org")["email_hash"]
        imported = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/import",
            content=f"kind,hash\nemail,{email_hash}\n".encode(),
            headers={**manager(tokens, campaign), "content-type": "text/csv"},
        )
        assert imported.json()["added"] + imported.json()["already_listed"] == 1

        async with support.topic_reader(svc) as reader:
            await submit(svc, form_id, {**PERSON, "consent": ["email:newsletter"]})
            removed = await reader.wait_for(
                lambda e: (
                    e.event_type == "opposition.removed" and e.payload["email_hash"] == email_hash
                )
            )
        check = await svc.client.post(
            f"/v1/campaigns/{campaign}/opposition/check",
            json={"email": "camille@example.org"},
            headers=manager(tokens, campaign),
        )

        contact = await proposed_contact(svc, form_id)
        assert removed.key == str(contact)
        assert check.json()["listed"] is False


class TestAbuse:
    async def test_a_submission_without_the_csrf_token_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)
        await open_form(svc, form_id)

        response = await svc.client.post(
            f"/f/{form_id}", data={**PERSON, "consent": ["email:newsletter"]}
        )

        assert response.status_code == 403
        assert await submissions(svc, form_id) == []

    async def test_a_token_without_its_cookie_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)
        _, token = await open_form(svc, form_id)
        svc.client.cookies.clear()

        response = await svc.client.post(
            f"/f/{form_id}", data={**PERSON, "csrf": token, "consent": ["email:newsletter"]}
        )

        assert response.status_code == 403
        assert await submissions(svc, form_id) == []

    async def test_a_token_of_another_form_is_refused(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_a = await new_form(svc, tokens)
        _, form_b = await new_form(svc, tokens)
        _, token_a = await open_form(svc, form_a)

        response = await svc.client.post(
            f"/f/{form_b}", data={**PERSON, "csrf": token_a, "consent": ["email:newsletter"]}
        )

        assert response.status_code == 403

    async def test_a_filled_honeypot_is_taken_for_a_robot(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)

        response = await submit(
            svc,
            form_id,
            {**PERSON, "website": "http://spam.example", "consent": ["email:newsletter"]},
        )

        assert response.status_code == 400
        assert await submissions(svc, form_id) == []

    async def test_a_submission_faster_than_a_person_is_taken_for_a_robot(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)
        svc.settings.form_min_fill_seconds = 30  # type: ignore[attr-defined]
        try:
            response = await submit(svc, form_id, {**PERSON, "consent": ["email:newsletter"]})
        finally:
            svc.settings.form_min_fill_seconds = 0  # type: ignore[attr-defined]

        assert response.status_code == 400
        assert await submissions(svc, form_id) == []

    async def test_a_client_past_the_rate_limit_is_refused_and_others_are_not(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        _, form_id = await new_form(svc, tokens)
        svc.settings.trust_forwarded_for = True  # type: ignore[attr-defined]
        svc.settings.rate_limit_per_minute = 3  # type: ignore[attr-defined]
        noisy = {"x-forwarded-for": f"192.0.2.{uuid.uuid4().int % 250}"}
        try:
            codes = [
                (await svc.client.get(f"/f/{form_id}", headers=noisy)).status_code for _ in range(5)
            ]
            other = await svc.client.get(
                f"/f/{form_id}", headers={"x-forwarded-for": "198.51.100.7"}
            )
        finally:
            svc.settings.trust_forwarded_for = False  # type: ignore[attr-defined]
            svc.settings.rate_limit_per_minute = 1000  # type: ignore[attr-defined]

        assert codes == [200, 200, 200, 429, 429]
        assert other.status_code == 200

    async def test_the_rate_limit_keeps_no_ip_address(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        async with svc.kernel.sessionmaker() as session:
            buckets = list(await session.scalars(sa.text("SELECT bucket FROM consent_rate_limits")))

        assert buckets
        assert all(re.fullmatch(r"[0-9a-f]{64}", b) for b in buckets)

    async def test_a_closed_form_takes_no_more_submissions(
        self, svc: RunningService, tokens: Tokens
    ) -> None:
        campaign, form_id = await new_form(svc, tokens)
        _, token = await open_form(svc, form_id)
        await svc.client.post(
            f"/v1/campaigns/{campaign}/forms/{form_id}/close", headers=manager(tokens, campaign)
        )

        response = await svc.client.post(
            f"/f/{form_id}",
            content=f"csrf={token}&email=a%40b.fr&consent=email%3Anewsletter".encode(),
            headers=FORM_TYPE,
        )

        assert response.status_code == 404
        assert await submissions(svc, form_id) == []
