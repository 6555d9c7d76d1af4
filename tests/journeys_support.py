"""Run contacts-svc and consent-svc together, and look at them as a voter or a test does.

Both services run in-process on databases of their own and on one broker with one topic
prefix, so every event one publishes reaches the other exactly as in production. Nothing here
writes to a service's tables: the journeys go through the HTTP APIs and the events, and only
read a service's own tables to wait for an effect or to prove that something is gone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from sqlmodel import col

from consent_svc.app import create_app as consent_app
from consent_svc.config import ConsentSettings
from contacts_svc.app import create_app as contacts_app
from contacts_svc.config import ContactsSettings
from contacts_svc.models import ConsentState, OppositionHash
from isoloir import identity
from isoloir.localbroker import LocalBroker
from isoloir.settings import ServiceSettings
from isoloir.testing.plugin import RunningService, running
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.waiting import eventually

S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}
ONE_CLICK = b"List-Unsubscribe=One-Click"


async def settings_for(
    settings_cls: type[S],
    *,
    broker: LocalBroker,
    databases: DatabaseFactory,
    topic_prefix: str,
    **overrides: Any,
) -> S:
    """Test settings (as the `service_settings` fixture makes them) on a fresh database."""
    values: dict[str, Any] = {
        "dev_mode": True,
        "kafka_bootstrap_servers": broker.bootstrap,
        "topic_prefix": topic_prefix,
        "relay_poll_seconds": 0.1,
        "consumer_poll_ms": 50,
        "broker_timeout_seconds": 3.0,
        "consumer_session_timeout_ms": 2_000,
        "broker_keeps_state": False,
        "database_url": await databases.create(settings_cls.service_name),
    }
    values.update(overrides)
    return settings_cls(**values)


@dataclass
class Platform:
    """The two services, running at once against one broker and one topic prefix."""

    contacts: RunningService
    consent: RunningService

    @property
    def secret(self) -> str:
        return self.contacts.settings.party_secret

    def email_hash(self, email: str) -> str:
        return identity.email_hash(secret=self.secret, email=identity.normalise_email(email))

    def phone_hash(self, phone: str) -> str:
        return identity.phone_hash(secret=self.secret, phone=identity.normalise_phone(phone))


async def platform_settings(
    *, broker: LocalBroker, databases: DatabaseFactory, import_dir: Path
) -> tuple[ContactsSettings, ConsentSettings]:
    """Settings of both services: databases of their own, one topic prefix for both."""
    prefix = f"j{uuid.uuid4().hex[:10]}."
    common: dict[str, Any] = {"broker": broker, "databases": databases, "topic_prefix": prefix}
    contacts_settings = await settings_for(
        ContactsSettings, **common, purge_interval_seconds=3600, import_dir=import_dir
    )
    consent_settings = await settings_for(
        ConsentSettings,
        **common,
        # A voter's form is filled at test speed: no minimum fill time, no rate limit in reach.
        form_min_fill_seconds=0,
        rate_limit_per_minute=1000,
        public_base_url="http://consent.test",
    )
    return contacts_settings, consent_settings


@asynccontextmanager
async def platform(
    *, broker: LocalBroker, databases: DatabaseFactory, import_dir: Path
) -> AsyncIterator[Platform]:
    """Run contacts-svc and consent-svc together until the block ends."""
    contacts_settings, consent_settings = await platform_settings(
        broker=broker, databases=databases, import_dir=import_dir
    )
    async with (
        running(contacts_app(contacts_settings)) as contacts,
        running(consent_app(consent_settings)) as consent,
    ):
        yield Platform(contacts=contacts, consent=consent)


async def until(check: Callable[[], Awaitable[T | None]], *, timeout: float = 15) -> T:
    """Wait for `check` to return something (not None, not empty) and return it."""
    found = await eventually(check, timeout=timeout)
    assert found is not None
    return found


def unique_email(label: str = "voter") -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@example.org"


def unique_phone() -> str:
    return f"0612{uuid.uuid4().int % 10**6:06d}"


async def applied_by_contacts(platform: Platform, contact_id: uuid.UUID | str) -> dict[str, str]:
    """Return what contacts-svc's consent projection holds for a contact (read-only)."""
    async with platform.contacts.kernel.sessionmaker() as session:
        rows = await session.scalars(
            sa.select(ConsentState).where(
                col(ConsentState.contact_id) == uuid.UUID(str(contact_id))
            )
        )
        return {f"{r.channel}:{r.purpose}": r.state for r in rows}


async def opposed_in_contacts(
    platform: Platform, *, email: str | None = None, phone: str | None = None
) -> bool:
    """Tell whether contacts-svc's opposition projection holds the person's hashes (read-only)."""
    wanted = [platform.email_hash(email)] if email else []
    wanted += [platform.phone_hash(phone)] if phone else []
    async with platform.contacts.kernel.sessionmaker() as session:
        found = set(
            await session.scalars(
                sa.select(col(OppositionHash.hash)).where(col(OppositionHash.hash).in_(wanted))
            )
        )
    return found == set(wanted)


def states_of(body: dict[str, Any]) -> dict[str, str]:
    """Return 'channel:purpose' -> state from a consent-svc consents body."""
    return {f"{s['channel']}:{s['purpose']}": s["state"] for s in body["states"]}


class Voter:
    """A person's browser on consent-svc's public pages: its own cookies, no token."""

    def __init__(self, platform: Platform) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=platform.consent.app),
            base_url="http://consent.test",
            headers={"user-agent": "Mozilla/5.0 (journey tests)"},
        )

    async def __aenter__(self) -> Voter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def fill_form(self, form_id: str, fields: dict[str, Any]) -> httpx.Response:
        """Open the form (cookie and CSRF token kept), fill it in and send it."""
        page = await self.client.get(f"/f/{form_id}")
        assert page.status_code == 200, page.text
        assert self.client.cookies.get("consent_csrf"), "the page set no CSRF cookie"
        return await self.client.post(
            f"/f/{form_id}", data={"csrf": csrf_of(page.text), "website": "", **fields}
        )

    async def one_click(self, path: str) -> httpx.Response:
        """POST as a mail client does for List-Unsubscribe-Post (RFC 8058): no page, no token."""
        return await self.client.post(path, content=ONE_CLICK, headers=FORM_TYPE)

    async def unsubscribe(self, path: str, *, scope: str) -> httpx.Response:
        """Open the link's confirmation page and confirm for this campaign or the whole party."""
        page = await self.client.get(path)
        assert page.status_code == 200, page.text
        return await self.client.post(path, data={"csrf": csrf_of(page.text), "scope": scope})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
