"""Settings base shared by every service.

Each service subclasses `ServiceSettings` with its own env prefix (``CONSENT_``,
``CONTACTS_``, ...). Platform-wide values (broker address, token keys, dev mode) may also be
given once with the ``ISOLOIR_`` prefix; a service-prefixed variable wins over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from isoloir import devkeys

PLATFORM_ENV_PREFIX = "ISOLOIR_"


class InsecureSettingsError(RuntimeError):
    """Raised when a service would start outside dev mode with a default secret."""


class ServiceSettings(BaseSettings):
    """What every service needs to run; subclasses add their own fields."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix=PLATFORM_ENV_PREFIX)

    service_name: ClassVar[str] = "service"

    dev_mode: bool = Field(
        default=False,
        description="Allow the built-in development keys; never set in production.",
    )
    database_url: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:8092"
    topic_prefix: str = Field(default="isoloir.", description="Prefix of every Kafka topic.")
    topic_partitions: int = Field(default=3, ge=1)
    consumer_group: str = ""

    jwt_public_key: str = Field(default="", description="PEM Ed25519 key that verifies tokens.")
    jwt_private_key: str = Field(default="", description="PEM Ed25519 key that signs tokens.")
    jwt_issuer: str = "isoloir"
    jwt_audience: str = "isoloir"
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)

    party_secret: str = Field(
        default="",
        description="The party's secret for keyed hashes (opposition list, rights matching).",
    )
    public_base_url: str = Field(
        default="", description="Base URL of this service as voters reach it (links in messages)."
    )

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    relay_linger_seconds: float = Field(default=0.005, ge=0, le=1)
    consumer_poll_ms: int = Field(default=200, ge=10)
    broker_keeps_state: bool = Field(
        default=True,
        description=(
            "False for the embedded memory broker, which forgets topics and committed offsets "
            "when it restarts: consumers then re-read every assigned partition from the start "
            "after each (re)join and drop the repeats. Run one replica per service in that mode."
        ),
    )
    consumer_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        description="Consumer group session timeout; Tansu also holds each join for half of it.",
    )
    broker_timeout_seconds: float = Field(default=5.0, gt=0)
    data_dir: Path = Path(".isoloir")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        platform_env = EnvSettingsSource(settings_cls, env_prefix=PLATFORM_ENV_PREFIX)
        return (init_settings, env_settings, platform_env, dotenv_settings, file_secret_settings)

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_insecure(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / self.service_name}.db"
        if not self.consumer_group:
            self.consumer_group = f"{self.topic_prefix}{self.service_name}"
        if not self.jwt_public_key:
            if not self.dev_mode:
                raise InsecureSettingsError(
                    "jwt_public_key is not set: outside dev mode a service refuses to start "
                    "with the built-in development key"
                )
            self.jwt_public_key = devkeys.DEV_PUBLIC_KEY
        elif not self.dev_mode and self.jwt_public_key.strip() == devkeys.DEV_PUBLIC_KEY.strip():
            raise InsecureSettingsError(
                "jwt_public_key is the built-in development key: refused outside dev mode"
            )
        if not self.party_secret:
            if not self.dev_mode:
                raise InsecureSettingsError(
                    "party_secret is not set: outside dev mode a service refuses to start "
                    "without it"
                )
            self.party_secret = devkeys.DEV_PARTY_SECRET
        elif not self.dev_mode and self.party_secret == devkeys.DEV_PARTY_SECRET:
            raise InsecureSettingsError("party_secret is the development secret: refused")
        if self.jwt_private_key:
            if (
                not self.dev_mode
                and self.jwt_private_key.strip() == devkeys.DEV_PRIVATE_KEY.strip()
            ):
                raise InsecureSettingsError(
                    "jwt_private_key is the built-in development key: refused outside dev mode"
                )
        elif self.dev_mode and self.jwt_public_key.strip() == devkeys.DEV_PUBLIC_KEY.strip():
            self.jwt_private_key = devkeys.DEV_PRIVATE_KEY
        return self

    def topic(self, name: str) -> str:
        """Return the full topic name for a logical topic."""
        return f"{self.topic_prefix}{name}"

    def safe_summary(self) -> dict[str, Any]:
        """Return the settings without secrets, for start-up logs."""
        hidden = {"jwt_public_key", "jwt_private_key", "party_secret"}
        out = {k: v for k, v in self.model_dump().items() if k not in hidden and "secret" not in k}
        out["database_url"] = _redact_url(self.database_url)
        return out


def _redact_url(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
