"""Settings of analytics-svc (environment variables prefixed ANALYTICS_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from isoloir.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    service_name: ClassVar[str] = "analytics"
