"""The messaging-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from isoloir import migrations, service
from messaging_svc import models
from messaging_svc.config import MessagingSettings
from messaging_svc.handlers import HANDLERS

DESCRIPTION = (
    "Email, SMS and automated calls through gateway adapters, inbound signed webhooks "
    "and the send gate."
)


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    """Build the messaging-svc app."""
    settings = settings or MessagingSettings()
    return service.create_service_app(
        service.ServiceDefinition(
            title="Isoloir messaging-svc",
            description=DESCRIPTION,
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="messaging",
                versions=Path(__file__).parent / "migrations",
                metadata=models.metadata,
            ),
            routers=[],
            handlers=HANDLERS,
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn messaging_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
