"""Settings of messaging-svc (environment variables prefixed MESSAGING_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from isoloir.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore")

    service_name: ClassVar[str] = "messaging"
