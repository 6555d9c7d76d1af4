"""Settings of rights-svc (environment variables prefixed RIGHTS_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from isoloir.settings import ServiceSettings


class RightsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RIGHTS_", extra="ignore")

    service_name: ClassVar[str] = "rights"
