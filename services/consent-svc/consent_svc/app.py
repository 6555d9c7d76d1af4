"""The consent-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from consent_svc import models
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
            routers=[],
            handlers=HANDLERS,
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn consent_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
