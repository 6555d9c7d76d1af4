"""Helpers of the `isoloir` command: ports, signing settings, the test suite."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

from isoloir.settings import ServiceSettings
from isoloir_cli.topology import LocalSecrets

PACKAGES = (
    "isoloir",
    "isoloir_cli",
    "contacts_svc",
    "consent_svc",
    "messaging_svc",
    "rights_svc",
    "analytics_svc",
)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class _IssuerSettings(ServiceSettings):
    service_name: ClassVar[str] = "cli"


def signing_settings(data_dir: Path) -> ServiceSettings:
    """Settings holding the token signing key: from the environment, else the local platform's."""
    if os.environ.get("ISOLOIR_JWT_PRIVATE_KEY"):
        return _IssuerSettings(database_url="sqlite://")
    if (data_dir / "secrets.json").exists():
        local = LocalSecrets.load_or_create(data_dir)
        return _IssuerSettings(
            dev_mode=True,
            database_url="sqlite://",
            jwt_private_key=local.jwt_private_key,
            jwt_public_key=local.jwt_public_key,
            party_secret=local.party_secret,
        )
    raise SystemExit(
        "No signing key: set ISOLOIR_JWT_PRIVATE_KEY (and ISOLOIR_JWT_PUBLIC_KEY, "
        "ISOLOIR_PARTY_SECRET), or run `isoloir up` once so the local platform has its keys."
    )


def ensure_browser() -> None:
    """Install Debian's Chromium for the browser tests when it is missing and we may."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print("chromium is missing and cannot be installed here; browser tests will fail.")
        return
    print("Installing chromium and chromium-driver for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait_lock = ["-o", "DPkg::Lock::Timeout=600"]
    subprocess.run([apt, *wait_lock, "update", "-qq"], check=True, env=env)  # noqa: S603
    subprocess.run(  # noqa: S603
        [apt, *wait_lock, "install", "-y", "-qq", "chromium", "chromium-driver"],
        check=True,
        env=env,
    )


def run_test_suite(pytest_args: list[str]) -> int:
    """Run format check, lint, type check and tests; return the first failing exit code."""
    ensure_browser()
    python = sys.executable
    mypy_packages = [arg for package in PACKAGES for arg in ("-p", package)]
    steps = [
        ("format", [python, "-m", "ruff", "format", "--check", "."]),
        ("lint", [python, "-m", "ruff", "check", "."]),
        ("types", [python, "-m", "mypy", *mypy_packages]),
        ("tests", [python, "-m", "pytest", *pytest_args]),
    ]
    for name, command in steps:
        print(f"==> {name}: {' '.join(command[2:])}", flush=True)
        code = subprocess.run(command, check=False).returncode  # noqa: S603
        if code != 0:
            print(f"==> {name} failed (exit {code})", flush=True)
            return code
    print("==> all checks passed", flush=True)
    return 0
