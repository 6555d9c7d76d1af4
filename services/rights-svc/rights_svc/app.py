"""The rights-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from isoloir import migrations, service
from rights_svc import models
from rights_svc.config import RightsSettings
from rights_svc.handlers import HANDLERS

DESCRIPTION = (
    "Access, rectification, erasure, portability and objection requests, fanned out "
    "to every service."
)


def create_app(settings: RightsSettings | None = None) -> FastAPI:
    """Build the rights-svc app."""
    settings = settings or RightsSettings()
    return service.create_service_app(
        service.ServiceDefinition(
            title="Isoloir rights-svc",
            description=DESCRIPTION,
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="rights",
                versions=Path(__file__).parent / "migrations",
                metadata=models.metadata,
            ),
            routers=[],
            handlers=HANDLERS,
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn rights_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
