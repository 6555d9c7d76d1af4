"""The README's run command brings the whole platform up from a fresh copy of the repository."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from isoloir_cli import checks, topology

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def run_command() -> str:
    """Return the run command as the README states it (the line after the 'Run' heading)."""
    lines = README.read_text().splitlines()
    commands = [line.strip() for line in lines if line.strip().startswith("./isoloir ")]
    assert commands, "README.md states no ./isoloir command"
    return commands[0]


def fresh_copy(dest: Path) -> Path:
    """Copy what a clone would hold: tracked files and new files git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = ROOT / raw.decode()
        if source.is_file():
            target = dest / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def free_port_base() -> int:
    for _ in range(50):
        base = random.randrange(20_000, 60_000, 100)
        if all(checks.port_free(p) for p in topology.Ports(base).all()):
            return base
    raise RuntimeError("no free port range found")


@pytest.fixture
def uv_on_path() -> str:
    """Let the copy reuse this machine's uv (a fresh machine gets one from the script itself)."""
    found = shutil.which("uv") or str(ROOT / ".tools" / "uv" / "bin" / "uv")
    assert Path(found).exists(), "uv is neither on PATH nor in .tools/"
    return str(Path(found).parent)


class TestRunCommand:
    def test_the_readme_run_command_starts_every_service_until_ready_then_stops_them(
        self, tmp_path: Path, uv_on_path: str
    ) -> None:
        command = run_command()
        assert command == "./isoloir up"
        repo = fresh_copy(tmp_path / "repo")
        base = free_port_base()
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        env.update(
            PATH=f"{uv_on_path}:{env['PATH']}",
            ISOLOIR_PORT_BASE=str(base),
            ISOLOIR_DATA_DIR=str(tmp_path / "data"),
        )
        log = (tmp_path / "up.log").open("wb")
        process = subprocess.Popen(
            command.split(), cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        ports = topology.Ports(base)
        try:
            ready = wait_all_ready(ports, process, timeout=240)
            assert ready == {s.name for s in topology.SERVICES}, (tmp_path / "up.log").read_text()
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(60)
            log.close()

        assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
        assert all(checks.port_free(p) for p in ports.all()), "a process outlived the stop"
        assert not (tmp_path / "data" / "run.json").exists()


def wait_all_ready(
    ports: topology.Ports, process: subprocess.Popen[bytes], *, timeout: float
) -> set[str]:
    ready: set[str] = set()
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline and len(ready) < len(topology.SERVICES):
            assert process.poll() is None, "the run command exited early"
            for service in topology.SERVICES:
                url = f"{topology.service_url(ports, service)}/readyz"
                try:
                    if client.get(url).status_code == 200:
                        ready.add(service.name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
    return ready


class TestContinuousIntegration:
    def test_ci_runs_exactly_the_readme_test_command(self) -> None:
        readme = README.read_text()
        ci = (ROOT / ".ci" / "run").read_text()

        assert "\n./isoloir test\n" in readme
        assert "exec ./isoloir test" in ci
