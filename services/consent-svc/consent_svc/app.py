"""The consent-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from consent_svc import maintenance, metrics, models
from consent_svc.api import (
    form_page,
    forms,
    ledger,
    links,
    opposition,
    optouts,
    preference_page,
    purposes,
    unsubscribe_page,
    watermark,
)
from consent_svc.config import ConsentSettings
from consent_svc.handlers import HANDLERS
from isoloir import migrations, service

DESCRIPTION = (
    "The consent ledger with evidence, consent forms, preference centre, one-click "
    "unsubscribe and the opposition list."
)


def create_app(settings: ConsentSettings | None = None) -> FastAPI:
    """Build the consent-svc app."""
    settings = settings or ConsentSettings()
    return service.create_service_app(
        service.ServiceDefinition(
            title="Isoloir consent-svc",
            description=DESCRIPTION,
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="consent",
                versions=Path(__file__).parent / "migrations",
                metadata=models.metadata,
            ),
            routers=[
                purposes.router,
                forms.router,
                ledger.router,
                optouts.router,
                links.router,
                opposition.campaign_router,
                opposition.party_router,
                watermark.router,
                form_page.router,
                preference_page.router,
                unsubscribe_page.router,
            ],
            handlers=HANDLERS,
            hooks=[metrics.hook, maintenance.hook],
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn consent_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
