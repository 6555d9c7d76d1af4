"""Settings of contacts-svc (environment variables prefixed CONTACTS_, then ISOLOIR_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from isoloir.settings import ServiceSettings


class ContactsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTACTS_", extra="ignore")

    service_name: ClassVar[str] = "contacts"
