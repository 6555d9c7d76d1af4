"""The analytics-svc application."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from analytics_svc import models
from analytics_svc.config import AnalyticsSettings
from analytics_svc.handlers import HANDLERS
from isoloir import migrations, service

DESCRIPTION = (
    "Territory analysis from official results per polling station and census data, "
    "and outreach metrics."
)


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    """Build the analytics-svc app."""
    settings = settings or AnalyticsSettings()
    return service.create_service_app(
        service.ServiceDefinition(
            title="Isoloir analytics-svc",
            description=DESCRIPTION,
            settings=settings,
            migrations=migrations.MigrationSpec(
                service="analytics",
                versions=Path(__file__).parent / "migrations",
                metadata=models.metadata,
            ),
            routers=[],
            handlers=HANDLERS,
        )
    )


def __getattr__(name: str) -> Any:
    # `uvicorn analytics_svc.app:app` builds the app on first use, never at import.
    if name == "app":
        return create_app()
    raise AttributeError(name)
