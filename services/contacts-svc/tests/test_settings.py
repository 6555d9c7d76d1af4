"""contacts-svc refuses to start without what it needs to sign tokens."""

from __future__ import annotations

import pytest

from contacts_svc.config import ContactsSettings
from isoloir import devkeys
from isoloir.settings import InsecureSettingsError


class TestSettings:
    def test_outside_dev_mode_a_missing_signing_key_stops_the_service(self) -> None:
        private, public = devkeys.generate_key_pair()

        with pytest.raises(InsecureSettingsError, match="JWT_PRIVATE_KEY"):
            ContactsSettings(jwt_public_key=public, party_secret="s" * 40, database_url="sqlite://")
        settings = ContactsSettings(
            jwt_public_key=public,
            jwt_private_key=private,
            party_secret="s" * 40,
            database_url="sqlite://",
        )

        assert settings.jwt_private_key == private

    def test_dev_mode_signs_with_the_development_key(self) -> None:
        settings = ContactsSettings(dev_mode=True, database_url="sqlite://")

        assert settings.jwt_private_key.strip() == devkeys.DEV_PRIVATE_KEY.strip()
