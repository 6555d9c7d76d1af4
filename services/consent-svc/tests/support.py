"""Test support for consent-svc: a running service, real events in and out, fixtures' data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from consent_svc.app import create_app
from consent_svc.config import ConsentSettings
from consent_svc.models import KnownContact
from isoloir import identity
from isoloir.db import utcnow
from isoloir.events import Envelope, EventPayload, contacts, envelope_for
from isoloir.localbroker import LocalBroker, free_port
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens
from isoloir.testing.waiting import eventually

NOTICE = {"text": "Notice shown on the paper form, version 3.", "language": "fr"}
WINDOW = {"weekdays": [1, 2, 3, 4, 5], "start": "10:00:00", "end": "18:00:00"}


async def consent_settings(
    broker: LocalBroker, databases: DatabaseFactory, **overrides: Any
) -> ConsentSettings:
    """Settings for a test service: a fresh database and a topic prefix of its own."""
    values: dict[str, Any] = {
        "dev_mode": True,
        "kafka_bootstrap_servers": broker.bootstrap,
        "topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
        "relay_poll_seconds": 0.1,
        "consumer_poll_ms": 50,
        "broker_timeout_seconds": 3.0,
        "consumer_session_timeout_ms": 2_000,
        "broker_keeps_state": False,
        "form_min_fill_seconds": 0,
        "rate_limit_per_minute": 1000,
        "public_base_url": "http://testserver",
    }
    values.update(overrides)
    if "database_url" not in values:
        values["database_url"] = await databases.create("consent")
    return ConsentSettings(**values)


@asynccontextmanager
async def consent_service(
    broker: LocalBroker, databases: DatabaseFactory, **overrides: Any
) -> AsyncIterator[RunningService]:
    settings = await consent_settings(broker, databases, **overrides)
    async with running(create_app(settings)) as svc:
        yield svc


def manager(tokens: Tokens, campaign: uuid.UUID, *roles: str) -> dict[str, str]:
    return tokens.headers(campaign_id=campaign, roles=list(roles) or ["campaign_manager"])


async def publish(svc: RunningService, payload: EventPayload, *, key: str) -> Envelope:
    """Publish an event on the broker as another service would."""
    envelope = envelope_for(payload, tenant_id=None, key=key, source="tests")
    producer = AIOKafkaProducer(
        bootstrap_servers=svc.settings.kafka_bootstrap_servers, enable_idempotence=False, acks="all"
    )
    await producer.start()
    try:
        topic = svc.settings.topic(type(payload).topic)
        await producer.send_and_wait(topic, value=envelope.to_bytes(), key=key.encode())
    finally:
        await producer.stop()
    return envelope


def hashes(
    svc: RunningService, *, email: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    secret = svc.settings.party_secret
    return {
        "email_hash": identity.email_hash(secret=secret, email=identity.normalise_email(email))
        if email
        else None,
        "phone_hash": identity.phone_hash(secret=secret, phone=identity.normalise_phone(phone))
        if phone
        else None,
    }


async def known_contact(
    svc: RunningService,
    campaign: uuid.UUID,
    *,
    kind: str = "regular",
    email: str | None = None,
    phone: str | None = None,
    contact_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Announce a contact through contact.created and wait until consent-svc knows it."""
    contact_id = contact_id or uuid.uuid4()
    payload = contacts.ContactCreated(
        contact_id=contact_id,
        campaign_id=campaign,
        file_id=uuid.uuid4(),
        kind=kind,  # type: ignore[arg-type]
        origin="form",
        occurred_at=utcnow(),
        **hashes(svc, email=email, phone=phone),
    )
    await publish(svc, payload, key=str(contact_id))

    async def arrived() -> bool:
        async with svc.kernel.sessionmaker() as session:
            return await session.get(KnownContact, contact_id) is not None

    await eventually(arrived, timeout=20)
    return contact_id


async def grant(
    svc: RunningService,
    tokens: Tokens,
    campaign: uuid.UUID,
    contact: uuid.UUID,
    *,
    channel: str = "email",
    purpose: str = "newsletter",
    **extra: Any,
) -> dict[str, Any]:
    body = {"channel": channel, "purpose": purpose, "state": "granted", "method": "paper_form"}
    body["notice"] = NOTICE
    body.update(extra)
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/contacts/{contact}/consents",
        json=body,
        headers=manager(tokens, campaign),
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def purpose(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, key: str = "newsletter"
) -> None:
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/purposes",
        json={
            "key": key,
            "label_fr": "Lettre d'information",
            "label_en": "Newsletter",
            "description_fr": "Nos nouvelles de campagne.",
            "description_en": "Our campaign news.",
        },
        headers=manager(tokens, campaign),
    )
    assert response.status_code == 201, response.text


def full_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Rejoignez-nous",
        "title": {"fr": "Restez informé(e)", "en": "Stay informed"},
        "controller_identity": {
            "fr": "Parti Exemple, 1 rue de la République, 75001 Paris",
            "en": "Parti Exemple, 1 rue de la République, 75001 Paris",
        },
        "purposes_notice": {"fr": "Vous informer de la campagne.", "en": "News of the campaign."},
        "retention": {"fr": "Jusqu'à la fin de la campagne.", "en": "Until the campaign ends."},
        "rights": {
            "fr": "Accès, rectification, effacement, portabilité, opposition.",
            "en": "Access, rectification, erasure, portability, objection.",
        },
        "rights_address": "droits@parti-exemple.fr",
        "offers": [
            {"channel": "email", "purpose": "newsletter"},
            {"channel": "sms", "purpose": "newsletter"},
        ],
        "contact_kind": "regular",
    }
    form.update(overrides)
    return form


async def published_form(
    svc: RunningService, tokens: Tokens, campaign: uuid.UUID, **overrides: Any
) -> str:
    response = await svc.client.post(
        f"/v1/campaigns/{campaign}/forms",
        json=full_form(**overrides),
        headers=manager(tokens, campaign),
    )
    assert response.status_code == 201, response.text
    form_id = str(response.json()["id"])
    published = await svc.client.post(
        f"/v1/campaigns/{campaign}/forms/{form_id}/publish", headers=manager(tokens, campaign)
    )
    assert published.status_code == 201, published.text
    return form_id


@asynccontextmanager
async def topic_reader(svc: RunningService, topic: str = "consent") -> AsyncIterator[TopicReader]:
    consumer = AIOKafkaConsumer(
        svc.settings.topic(topic),
        bootstrap_servers=svc.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        yield TopicReader(consumer)
    finally:
        await consumer.stop()


class TopicReader:
    """Reads a topic from its start and keeps every envelope seen."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.seen: list[Envelope] = []

    async def wait_for(
        self, predicate: Callable[[Envelope], bool], *, timeout: float = 15
    ) -> Envelope:
        async def poll() -> Envelope | None:
            for envelope in self.seen:
                if predicate(envelope):
                    return envelope
            batch = await self.consumer.getmany(timeout_ms=200)
            for records in batch.values():
                self.seen.extend(Envelope.from_bytes(r.value) for r in records)
            return next((e for e in self.seen if predicate(e)), None)

        found = await eventually(poll, timeout=timeout, interval=0.01)
        assert found is not None
        return found


async def sql(svc: RunningService, statement: str, **params: Any) -> Any:
    """Run raw SQL on the service's database (to tamper with it as an attacker would)."""
    async with svc.kernel.engine.begin() as conn:
        return await conn.execute(sa.text(statement), params)


async def settle() -> None:
    await asyncio.sleep(0)


@asynccontextmanager
async def served_service(
    broker: LocalBroker, databases: DatabaseFactory, **overrides: Any
) -> AsyncIterator[RunningService]:
    """Run consent-svc with uvicorn on a free port; the client talks to it over the socket."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = await consent_settings(broker, databases, public_base_url=base, **overrides)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=60)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            yield RunningService(app=app, client=client, settings=settings)
    finally:
        server.should_exit = True
        await task
