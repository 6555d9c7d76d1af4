"""`isoloir up`: start the whole platform on its embedded defaults, stop it all together."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from isoloir.localbroker import LocalBroker, wait_for_port
from isoloir_cli import topology
from isoloir_cli.topology import LocalSecrets, Ports

STOP_TIMEOUT = 15.0


class StartupFailed(RuntimeError):
    """A process of the platform died or never became ready; the message says which."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Platform:
    """The processes of one local platform, started and stopped as one."""

    data_dir: Path
    ports: Ports
    broker: LocalBroker | None = None
    children: list[Child] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def start(self) -> None:
        """Start the broker, the local mail and SMS servers, then the five services."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        local = LocalSecrets.load_or_create(self.data_dir)
        self.broker = LocalBroker(self.ports.broker, log_path=self.logs_dir / "broker.log")
        self.broker.start()
        self._spawn(
            "mail",
            [
                "serve-mail",
                "--data-dir",
                str(self.data_dir),
                "--smtp-port",
                str(self.ports.mail_smtp),
                "--http-port",
                str(self.ports.mail_http),
            ],
            env={},
        )
        self._spawn(
            "sms-gateway",
            [
                "serve-sms",
                "--port",
                str(self.ports.sms_gateway),
                "--webhook-url",
                topology.messaging_webhook_url(self.ports),
            ],
            env={
                "ISOLOIR_SMS_API_KEY": local.sms_api_key,
                "ISOLOIR_SMS_WEBHOOK_SECRET": local.sms_webhook_secret,
            },
        )
        for service in topology.SERVICES:
            env = topology.service_environment(
                service=service, ports=self.ports, data_dir=self.data_dir, local=local
            )
            self._spawn_service(service, env)
        self._write_state()

    def _spawn(self, name: str, args: list[str], *, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "isoloir_cli.main", *args]
        self._start_child(name, command, env)

    def _spawn_service(self, service: topology.Service, env: dict[str, str]) -> None:
        command = [
            sys.executable, "-m", "uvicorn", f"{service.package}.app:app",
            "--host", "127.0.0.1",
            "--port", str(self.ports.service(service)),
            "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip
        self._start_child(service.name, command, env)

    def _start_child(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log_path = self.logs_dir / f"{name}.log"
        log = log_path.open("ab")
        self._logs.append(log)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops them in order
        )
        self.children.append(Child(name, process, log_path))

    def _write_state(self) -> None:
        state = {
            "supervisor": os.getpid(),
            "ports": {"base": self.ports.base},
            "children": {c.name: c.process.pid for c in self.children},
            "broker": self.broker.process.pid if self.broker and self.broker.process else None,
        }
        (self.data_dir / "run.json").write_text(json.dumps(state, indent=2))

    def wait_ready(self, *, timeout: float) -> None:
        """Block until every service answers /readyz 200; raise StartupFailed otherwise."""
        wait_for_port("127.0.0.1", self.ports.mail_http, timeout)
        wait_for_port("127.0.0.1", self.ports.sms_gateway, timeout)
        deadline = time.monotonic() + timeout
        pending = {s.name: topology.service_url(self.ports, s) for s in topology.SERVICES}
        with httpx.Client(timeout=2.0) as client:
            while pending:
                self.check_alive()
                for name, url in list(pending.items()):
                    try:
                        if client.get(f"{url}/readyz").status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise StartupFailed(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
                time.sleep(0.3)

    def check_alive(self) -> None:
        """Raise StartupFailed naming any process that has exited."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise StartupFailed(
                    f"{child.name} exited with code {code}; last lines of {child.log_path}:\n"
                    + tail(child.log_path)
                )
        if self.broker is not None and not self.broker.running:
            raise StartupFailed("the broker exited; see " + str(self.logs_dir / "broker.log"))

    def stop(self) -> None:
        """Stop the services first, then the servers they talk to, then the broker."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in reversed(self.children):
            remaining = max(deadline - time.monotonic(), 0.1)
            try:
                child.process.wait(remaining)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if self.broker is not None:
            self.broker.stop()
        for log in self._logs:
            log.close()
        (self.data_dir / "run.json").unlink(missing_ok=True)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_running(data_dir: Path, *, timeout: float = STOP_TIMEOUT + 5) -> bool:
    """Ask the supervisor recorded in data_dir to stop everything; return False if none runs."""
    state_path = data_dir / "run.json"
    if not state_path.exists():
        return False
    state = json.loads(state_path.read_text())
    supervisor = int(state["supervisor"])
    try:
        os.kill(supervisor, signal.SIGTERM)
    except ProcessLookupError:
        _kill_leftovers(state)
        state_path.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(supervisor):
        time.sleep(0.2)
    if _alive(supervisor):
        _kill_leftovers(state)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_leftovers(state: dict[str, object]) -> None:
    pids = list(dict(state.get("children") or {}).values())  # type: ignore[call-overload]
    if state.get("broker"):
        pids.append(state["broker"])
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError, TypeError):
            os.kill(int(pid), signal.SIGKILL)
