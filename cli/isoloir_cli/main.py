"""The `isoloir` command: run the platform locally, operate it, test it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from isoloir import auth, logs
from isoloir_cli import checks, imports, ledger, topology
from isoloir_cli.runner import Platform, StartupFailed, stop_running
from isoloir_cli.topology import Ports

app = typer.Typer(no_args_is_help=True, help="Run and operate the Isoloir platform.")
token_app = typer.Typer(no_args_is_help=True, help="Mint access tokens.")
keys_app = typer.Typer(no_args_is_help=True, help="Generate signing keys.")
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(imports.imports_app, name="imports")
console = Console()

DataDir = Annotated[
    Path,
    typer.Option(envvar="ISOLOIR_DATA_DIR", help="Where SQLite files, logs and secrets live."),
]
PortBase = Annotated[
    int,
    typer.Option(envvar="ISOLOIR_PORT_BASE", help="Services on base+1..+5 (8001-8005)."),
]


@app.command()
def up(
    data_dir: DataDir = topology.DEFAULT_DATA_DIR,
    port_base: PortBase = topology.DEFAULT_PORT_BASE,
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 180,
) -> None:
    """Start the broker, the five services, the mail catcher and the SMS gateway simulator."""
    ports = Ports(port_base)
    busy = [p for p in ports.all() if not checks.port_free(p)]
    if busy:
        console.print(f"[red]Ports already in use: {busy}. Is the platform running already?")
        raise typer.Exit(1)
    platform = Platform(data_dir=data_dir.resolve(), ports=ports)

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        console.print("Starting the Isoloir platform (embedded defaults)…")
        platform.start()
        platform.wait_ready(timeout=ready_timeout)
        _print_urls(ports, data_dir)
        console.print("[green]All services ready.[/] Press Ctrl-C (or run `isoloir down`) to stop.")
        while True:
            platform.check_alive()
            time.sleep(1.0)
    except StartupFailed as exc:
        console.print(f"[red]{exc}")
        platform.stop()
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("Stopping…")
        platform.stop()
        console.print("Stopped.")


def _print_urls(ports: Ports, data_dir: Path) -> None:
    table = Table(title="Isoloir, local platform")
    table.add_column("what")
    table.add_column("where")
    for service in topology.SERVICES:
        url = topology.service_url(ports, service)
        table.add_row(f"{service.name}-svc", f"{url}  (API docs: {url}/docs)")
    table.add_row("mail catcher", f"http://127.0.0.1:{ports.mail_http}  (SMTP {ports.mail_smtp})")
    table.add_row("SMS gateway simulator", f"http://127.0.0.1:{ports.sms_gateway}")
    table.add_row("broker (Kafka protocol)", f"127.0.0.1:{ports.broker}")
    table.add_row("data and logs", str(data_dir.resolve()))
    console.print(table)


@app.command()
def down(data_dir: DataDir = topology.DEFAULT_DATA_DIR) -> None:
    """Stop a platform started with `isoloir up`."""
    if stop_running(data_dir):
        console.print("Stopped.")
    else:
        console.print("No running platform found.")


@app.command()
def status(
    data_dir: DataDir = topology.DEFAULT_DATA_DIR,
    port_base: PortBase = topology.DEFAULT_PORT_BASE,
) -> None:
    """Show whether each service is ready (database and broker reachable)."""
    ports = Ports(port_base)
    table = Table(title="Isoloir status")
    for column in ("service", "url", "ready", "database", "broker"):
        table.add_column(column)
    all_ready = True
    with httpx.Client(timeout=3.0) as client:
        for service in topology.SERVICES:
            url = topology.service_url(ports, service)
            try:
                response = client.get(f"{url}/readyz")
                body = response.json()
                ready = response.status_code == 200
                found = body.get("checks", {})
                row = [
                    "yes" if ready else "no",
                    found.get("database", "?"),
                    found.get("broker", "?"),
                ]
            except (httpx.HTTPError, ValueError):
                ready, row = False, ["no", "unreachable", "unreachable"]
            all_ready &= ready
            table.add_row(f"{service.name}-svc", url, *row)
    console.print(table)
    raise typer.Exit(0 if all_ready else 1)


@token_app.command("bootstrap")
def token_bootstrap(
    party_id: Annotated[
        str | None, typer.Option(help="The party's id (a new one is made if absent).")
    ] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for.")] = "bootstrap-admin",
    minutes: Annotated[int, typer.Option(help="Lifetime in minutes.")] = 60,
    data_dir: DataDir = topology.DEFAULT_DATA_DIR,
) -> None:
    """Mint a party-administrator token to create the party, its campaigns and staff."""
    settings = checks.signing_settings(data_dir)
    party = party_id or str(uuid.uuid4())
    token = auth.mint_token(
        settings=settings,
        subject=subject,
        party_id=party,
        campaign_id=None,
        roles=[auth.Role.PARTY_ADMIN],
        ttl=timedelta(minutes=minutes),
    )
    console.print(f"party id: {party}", style="bold", highlight=False)
    print(token)


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path | None, typer.Option(help="Folder to write the two PEM files to.")] = None,
) -> None:
    """Generate an Ed25519 key pair for signing (contacts-svc) and verifying (all) tokens."""
    from isoloir import devkeys

    private, public = devkeys.generate_key_pair()
    if out is None:
        print(private + public, end="")
        return
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / "jwt_private.pem", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(private)
    (out / "jwt_public.pem").write_text(public)
    console.print(f"Wrote {out / 'jwt_private.pem'} (keep secret) and {out / 'jwt_public.pem'}.")


@app.command("test")
def run_tests(
    pytest_args: Annotated[
        list[str] | None, typer.Argument(help="Extra arguments for pytest.")
    ] = None,
) -> None:
    """Run the lint, the type check and the whole test suite."""
    raise typer.Exit(checks.run_test_suite(list(pytest_args or [])))


@app.command("serve-mail", hidden=True)
def serve_mail(
    data_dir: Annotated[Path, typer.Option()],
    smtp_port: Annotated[int, typer.Option()],
    http_port: Annotated[int, typer.Option()],
) -> None:
    """Run the local mail catcher (started by `isoloir up`)."""
    from isoloir_cli import mailcatcher

    logs.configure("mailcatcher")
    _run_until_signalled(
        mailcatcher.serve(data_dir=data_dir, smtp_port=smtp_port, http_port=http_port)
    )


@app.command("serve-sms", hidden=True)
def serve_sms(
    port: Annotated[int, typer.Option()],
    webhook_url: Annotated[str, typer.Option()],
    api_key: Annotated[str, typer.Option(envvar="ISOLOIR_SMS_API_KEY")],
    webhook_secret: Annotated[str, typer.Option(envvar="ISOLOIR_SMS_WEBHOOK_SECRET")],
) -> None:
    """Run the local SMS gateway simulator (started by `isoloir up`)."""
    from isoloir_cli import smsgateway

    logs.configure("sms-gateway")
    _run_until_signalled(
        smsgateway.serve(
            port=port, api_key=api_key, webhook_url=webhook_url, webhook_secret=webhook_secret
        )
    )


def _run_until_signalled(server: Coroutine[Any, Any, None]) -> None:
    async def _main() -> None:
        task = asyncio.ensure_future(server)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(app())
