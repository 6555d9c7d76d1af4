"""Settings of contacts-svc (environment variables prefixed CONTACTS_, then ISOLOIR_)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from isoloir.settings import InsecureSettingsError, ServiceSettings


class ContactsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTACTS_", extra="ignore")

    service_name: ClassVar[str] = "contacts"

    purge_interval_seconds: float = Field(
        default=3600, gt=0, description="How often the retention purge looks for expired files."
    )
    password_min_length: int = Field(default=12, ge=8)
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins before a lock.")
    login_lock_minutes: int = Field(default=15, ge=1)
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024, description="Import size limit.")
    import_chunk_rows: int = Field(default=5000, ge=1, le=50_000)
    import_dir: Path | None = Field(
        default=None, description="Where uploads wait for processing (default: data_dir/imports)."
    )

    @model_validator(mode="after")
    def _require_signing_key(self) -> ContactsSettings:
        # The only service that issues tokens: without its key, login could not work.
        if not self.jwt_private_key:
            raise InsecureSettingsError(
                "contacts-svc signs access tokens: set CONTACTS_JWT_PRIVATE_KEY "
                "(or ISOLOIR_JWT_PRIVATE_KEY)"
            )
        return self

    @property
    def uploads_path(self) -> Path:
        return self.import_dir or self.data_dir / "imports"
