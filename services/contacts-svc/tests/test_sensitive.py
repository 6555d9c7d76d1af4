"""R10: the sensitive-data guard refuses special categories and lets ordinary words through."""

from __future__ import annotations

import pytest
import pytest_asyncio
from world import World

from contacts_svc import sensitive

SENSITIVE = [
    "Catholique pratiquante",
    "musulmane",
    "Juif",
    "va à la mosquée le vendredi",
    "religion: protestant",
    "Syndiquée CGT",
    "délégué syndical",
    "syndicats",
    "union member",
    "trade unions",
    "diabétique",
    "Handicapée",
    "maladie chronique",
    "pregnant",
    "mental health issues",
    "origine ethnique maghrébine",
    "Africaines",
    "ethnicity",
    "homosexuel",
    "Lesbienne",
    "LGBTQ+",
    "sexual orientation",
    "vie sexuelle",
    "vote pour l'extrême droite",
    "communiste",
    "political opinions",
    "empreintes digitales",
    "ADN",
    "casier judiciaire",
    "condamnée",
    "criminal record",
    "sortie de prison",
    "franc-maçonne",
    "santé fragile",
]

ORDINARY = [
    "indicateur",
    "syndrome de la page blanche",
    "bénévole",
    "tractage",
    "porte-à-porte",
    "marché du dimanche",
    "parent d'élève",
    "commerçant",
    "retraitée",
    "étudiant",
    "vélo",
    "jardins partagés",
    "transports en commun",
    "logement",
    "écoles",
    "sport",
    "culture",
    "quartier Saint-Martin",
    "a besoin d'un covoiturage pour le meeting",
    "préfère être contactée le soir",
    "interested in public transport",
    "volunteer for leafleting",
    "union square meeting point",
    "Racing club supporter",
]


class TestR10Guard:
    @pytest.mark.parametrize("text", SENSITIVE)
    def test_r10_a_sensitive_formulation_is_found(self, text: str) -> None:
        assert sensitive.find(text) is not None, text

    @pytest.mark.parametrize("text", ORDINARY)
    def test_r10_an_ordinary_formulation_is_let_through(self, text: str) -> None:
        assert sensitive.find(text) is None, text

    def test_r10_there_are_at_least_twenty_of_each(self) -> None:
        assert len(SENSITIVE) >= 20
        assert len(ORDINARY) >= 20

    def test_r10_camel_case_and_separators_are_read_as_words(self) -> None:
        assert sensitive.find("religionPratiquee") is not None
        assert sensitive.find("etat_de_sante") is not None
        assert sensitive.find("indicateurSante") is not None


@pytest_asyncio.fixture(loop_scope="module")
async def world(shared_world: World) -> World:
    """One service for the module; each test works in a party of its own."""
    return shared_world


@pytest.mark.asyncio(loop_scope="module")
class TestR10ContactWrites:
    async def test_r10_a_sensitive_tag_is_refused_naming_the_field(self, world: World) -> None:
        file = await world.create_file()

        r = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "last_name": "Curie",
                "email": "m.curie@example.org",
                "tags": ["bénévole", "Catholique"],
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        body = r.json()
        assert body["rule"] == "R10"
        assert body["errors"][0]["field"].startswith("tags[")
        assert "religion" in body["errors"][0]["reason"]

    async def test_r10_every_formulation_is_judged_the_same_through_the_api(
        self, world: World
    ) -> None:
        file = await world.create_file()

        answers = {}
        for number, text in enumerate(SENSITIVE + ORDINARY):
            r = await world.client.post(
                world.path("/contacts"),
                json={
                    "file_id": file["id"],
                    "kind": "regular",
                    "origin": "party_file",
                    "email": f"p{number}@example.org",
                    "tags": [text],
                    "notes": text,
                },
                headers=world.manager(),
            )
            answers[text] = (r.status_code, r.json().get("rule"))

        assert {t: answers[t] for t in SENSITIVE} == dict.fromkeys(SENSITIVE, (422, "R10"))
        assert {t: answers[t][0] for t in ORDINARY} == dict.fromkeys(ORDINARY, 201)

    async def test_r10_a_sensitive_note_is_refused(self, world: World) -> None:
        file = await world.create_file()

        r = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "email": "m.curie@example.org",
                "notes": "Elle est syndiquée à la CFDT",
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        assert r.json()["rule"] == "R10"
        assert r.json()["errors"][0]["field"] == "notes"

    async def test_r10_a_field_outside_the_allow_list_is_refused_by_name(
        self, world: World
    ) -> None:
        file = await world.create_file()

        r = await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "email": "m.curie@example.org",
                "religion": "aucune",
                "shoe_size": 38,
            },
            headers=world.manager(),
        )

        assert r.status_code == 422
        fields = {e["field"]: e["reason"] for e in r.json()["errors"]}
        assert "religion" in fields["religion"]
        assert fields["shoe_size"] == "is not a contact field"

    async def test_r10_nothing_is_stored_when_a_write_is_refused(self, world: World) -> None:
        file = await world.create_file()
        await world.client.post(
            world.path("/contacts"),
            json={
                "file_id": file["id"],
                "kind": "regular",
                "origin": "party_file",
                "email": "m.curie@example.org",
                "interests": ["santé"],
            },
            headers=world.manager(),
        )

        page = await world.client.get(world.path("/contacts"), headers=world.manager())

        assert page.json()["items"] == []
