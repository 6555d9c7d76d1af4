"""What the local platform is made of: services, ports, data files and secrets."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from isoloir import devkeys

DEFAULT_PORT_BASE = 8000
DEFAULT_DATA_DIR = Path(".isoloir")


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    env_prefix: str
    offset: int


SERVICES = (
    Service("contacts", "contacts_svc", "CONTACTS_", 1),
    Service("consent", "consent_svc", "CONSENT_", 2),
    Service("messaging", "messaging_svc", "MESSAGING_", 3),
    Service("rights", "rights_svc", "RIGHTS_", 4),
    Service("analytics", "analytics_svc", "ANALYTICS_", 5),
)
SMS_GATEWAY_OFFSET = 20
MAIL_HTTP_OFFSET = 25
MAIL_SMTP_OFFSET = 26
BROKER_OFFSET = 92


@dataclass(frozen=True)
class Ports:
    """Every port of the local platform, derived from one base (8000 by default)."""

    base: int

    def service(self, service: Service) -> int:
        return self.base + service.offset

    @property
    def broker(self) -> int:
        return self.base + BROKER_OFFSET

    @property
    def sms_gateway(self) -> int:
        return self.base + SMS_GATEWAY_OFFSET

    @property
    def mail_http(self) -> int:
        return self.base + MAIL_HTTP_OFFSET

    @property
    def mail_smtp(self) -> int:
        return self.base + MAIL_SMTP_OFFSET

    def all(self) -> list[int]:
        fixed = [self.broker, self.sms_gateway, self.mail_http, self.mail_smtp]
        return [self.service(s) for s in SERVICES] + fixed


def service_url(ports: Ports, service: Service) -> str:
    return f"http://127.0.0.1:{ports.service(service)}"


@dataclass(frozen=True)
class LocalSecrets:
    """Secrets generated once per data directory; they never leave it."""

    jwt_private_key: str
    jwt_public_key: str
    party_secret: str
    link_secret: str
    sms_api_key: str
    sms_webhook_secret: str

    @classmethod
    def load_or_create(cls, data_dir: Path) -> LocalSecrets:
        path = data_dir / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        private, public = devkeys.generate_key_pair()
        created = cls(
            jwt_private_key=private,
            jwt_public_key=public,
            party_secret=secrets.token_urlsafe(32),
            link_secret=secrets.token_urlsafe(32),
            sms_api_key=secrets.token_urlsafe(24),
            sms_webhook_secret=secrets.token_urlsafe(32),
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(created.__dict__, out, indent=2)
        return created


def service_environment(
    *, service: Service, ports: Ports, data_dir: Path, local: LocalSecrets
) -> dict[str, str]:
    """Return the environment one service runs with on the embedded defaults."""
    p = service.env_prefix
    env = {
        "ISOLOIR_DEV_MODE": "true",
        "ISOLOIR_DATA_DIR": str(data_dir),
        "ISOLOIR_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports.broker}",
        "ISOLOIR_BROKER_KEEPS_STATE": "false",
        "ISOLOIR_JWT_PUBLIC_KEY": local.jwt_public_key,
        "ISOLOIR_PARTY_SECRET": local.party_secret,
        "ISOLOIR_LINK_SECRET": local.link_secret,
        f"{p}DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / service.name}.db",
        f"{p}PUBLIC_BASE_URL": service_url(ports, service),
    }
    if service.name == "contacts":
        env[f"{p}JWT_PRIVATE_KEY"] = local.jwt_private_key
    if service.name == "messaging":
        env.update(
            {
                f"{p}SMTP_HOST": "127.0.0.1",
                f"{p}SMTP_PORT": str(ports.mail_smtp),
                f"{p}SMS_GATEWAY_URL": f"http://127.0.0.1:{ports.sms_gateway}",
                f"{p}SMS_API_KEY": local.sms_api_key,
                f"{p}SMS_WEBHOOK_SECRET": local.sms_webhook_secret,
            }
        )
    return env


def messaging_webhook_url(ports: Ports) -> str:
    """Where the SMS gateway simulator posts receipts and replies (messaging-svc)."""
    messaging = next(s for s in SERVICES if s.name == "messaging")
    return f"{service_url(ports, messaging)}/v1/webhooks/sms"
