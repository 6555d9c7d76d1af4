"""The contacts-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from contacts_svc import metrics, models, purge
from contacts_svc.api import ROUTERS
from contacts_svc.config import ContactsSettings
from contacts_svc.handlers import HANDLERS
from contacts_svc.imports import runner
from isoloir import migrations, service

DESCRIPTION = (
    "Campaigns, staff accounts and roles, contact files with provenance and "
    "retention, contacts, imports, canvassing and segments."
)


def create_app(settings: ContactsSettings | None = None) -> FastAPI:
    """Build the contacts-svc app."""
    settings = settings or ContactsSettings()
    return service.create_service_app(
        service.ServiceDefinition(
            title="Isoloir contacts-svc",
            description=DESCRIPTION,
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="contacts",
                versions=Path(__file__).parent / "migrations",
                metadata=models.metadata,
            ),
            routers=ROUTERS,
            handlers=HANDLERS,
            hooks=[metrics.hook, runner.hook, purge.hook],
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn contacts_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
