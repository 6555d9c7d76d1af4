"""Settings of consent-svc (environment variables prefixed CONSENT_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from isoloir.settings import InsecureSettingsError, ServiceSettings

# Development only: refused outside dev mode, like the kernel's development keys.
DEV_LINK_SECRET = "isoloir-development-link-secret-not-for-production"  # noqa: S105
MIN_LINK_SECRET_BYTES = 32


class ConsentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore")

    service_name: ClassVar[str] = "consent"

    link_secret: str = Field(
        default="",
        description="Secret that signs voter links (preferences, unsubscribe) and form tokens.",
    )
    pending_expiry_days: float = Field(
        default=30, gt=0, description="A consent request left unanswered this long expires."
    )
    maintenance_interval_seconds: float = Field(
        default=60, gt=0, description="How often pending requests are expired and counters pruned."
    )
    ack_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="How long a voter page waits for an opt-out to reach the broker before "
        "answering that it is registered and being applied.",
    )
    form_min_fill_seconds: float = Field(
        default=2.0, ge=0, description="Faster submissions are taken for a robot's."
    )
    form_token_max_age_minutes: int = Field(default=120, ge=1)
    rate_limit_per_minute: int = Field(
        default=30,
        ge=1,
        description="Voter page requests per client IP, per page kind, per minute.",
    )
    preference_link_days: int = Field(default=30, ge=1)
    unsubscribe_link_days: int = Field(default=400, ge=1)
    trust_forwarded_for: bool = Field(
        default=False,
        description="Take the client IP from X-Forwarded-For (only behind a trusted proxy).",
    )

    @model_validator(mode="after")
    def _require_link_secret(self) -> "ConsentSettings":
        if not self.link_secret:
            if not self.dev_mode:
                raise InsecureSettingsError(
                    "link_secret is not set: outside dev mode consent-svc refuses to start "
                    "without it"
                )
            self.link_secret = DEV_LINK_SECRET
        elif not self.dev_mode and self.link_secret == DEV_LINK_SECRET:
            raise InsecureSettingsError("link_secret is the development secret: refused")
        if len(self.link_secret.encode()) < MIN_LINK_SECRET_BYTES:
            raise InsecureSettingsError(
                f"link_secret must be at least {MIN_LINK_SECRET_BYTES} bytes long"
            )
        return self
