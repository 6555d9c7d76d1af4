"""Settings of consent-svc (environment variables prefixed CONSENT_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from isoloir.settings import ServiceSettings


class ConsentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore")

    service_name: ClassVar[str] = "consent"
