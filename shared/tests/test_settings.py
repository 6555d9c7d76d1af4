from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from isoloir import devkeys
from isoloir.settings import InsecureSettingsError, ServiceSettings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    service_name: ClassVar[str] = "demo"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("ISOLOIR_", "DEMO_")):
            monkeypatch.delenv(name)


class TestSecrets:
    def test_outside_dev_mode_a_service_refuses_to_start_without_a_key(self) -> None:
        with pytest.raises(InsecureSettingsError, match="jwt_public_key is not set"):
            DemoSettings()

    def test_outside_dev_mode_the_development_key_is_refused(self) -> None:
        with pytest.raises(InsecureSettingsError, match="development key"):
            DemoSettings(jwt_public_key=devkeys.DEV_PUBLIC_KEY)

    def test_outside_dev_mode_the_development_signing_key_is_refused(self) -> None:
        _, public = devkeys.generate_key_pair()
        with pytest.raises(InsecureSettingsError, match="jwt_private_key"):
            DemoSettings(
                jwt_public_key=public,
                jwt_private_key=devkeys.DEV_PRIVATE_KEY,
                party_secret="p" * 40,
            )

    def test_dev_mode_falls_back_to_the_development_pair(self) -> None:
        settings = DemoSettings(dev_mode=True)

        assert settings.jwt_public_key == devkeys.DEV_PUBLIC_KEY
        assert settings.jwt_private_key == devkeys.DEV_PRIVATE_KEY

    def test_outside_dev_mode_a_service_refuses_to_start_without_the_party_secret(
        self,
    ) -> None:
        _, public = devkeys.generate_key_pair()
        with pytest.raises(InsecureSettingsError, match="party_secret"):
            DemoSettings(jwt_public_key=public)

    def test_a_real_key_pair_is_accepted_outside_dev_mode(self) -> None:
        private, public = devkeys.generate_key_pair()

        settings = DemoSettings(
            jwt_public_key=public, jwt_private_key=private, party_secret="p" * 40
        )

        assert not settings.dev_mode


class TestEnvironment:
    def test_platform_variables_apply_to_every_service(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ISOLOIR_DEV_MODE", "true")
        monkeypatch.setenv("ISOLOIR_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")

        assert DemoSettings().kafka_bootstrap_servers == "kafka:9092"

    def test_a_service_variable_wins_over_the_platform_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ISOLOIR_DEV_MODE", "true")
        monkeypatch.setenv("ISOLOIR_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
        monkeypatch.setenv("DEMO_KAFKA_BOOTSTRAP_SERVERS", "other:9092")

        assert DemoSettings().kafka_bootstrap_servers == "other:9092"

    def test_the_default_database_is_a_sqlite_file_of_the_service(self) -> None:
        settings = DemoSettings(dev_mode=True, data_dir="/tmp/isoloir-x")

        assert settings.database_url == "sqlite+aiosqlite:////tmp/isoloir-x/demo.db"
        assert settings.consumer_group == "isoloir.demo"

    def test_the_summary_hides_secrets_and_passwords(self) -> None:
        settings = DemoSettings(
            dev_mode=True, database_url="postgresql+asyncpg://app:s3cret@db:5432/demo"
        )

        summary = settings.safe_summary()

        assert "s3cret" not in str(summary)
        assert "jwt_private_key" not in summary
