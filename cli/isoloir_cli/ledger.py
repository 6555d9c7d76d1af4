"""`isoloir ledger verify`: ask consent-svc to walk a campaign's consent chain."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

ledger_app = typer.Typer(no_args_is_help=True, help="Check the consent ledger.")


@ledger_app.callback()
def ledger() -> None:
    """Check the consent ledger."""


EXIT_BROKEN = 1
EXIT_UNREACHABLE = 2


def fetch_report(*, url: str, campaign: uuid.UUID, token: str, timeout: float) -> dict[str, Any]:
    """Return consent-svc's verification report for one campaign."""
    response = httpx.get(
        f"{url.rstrip('/')}/v1/campaigns/{campaign}/ledger/verify",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    if response.status_code != 200:
        try:
            detail = response.json().get("detail") or response.text
        except ValueError:
            detail = response.text
        raise RuntimeError(f"consent-svc answered {response.status_code}: {detail}")
    report: dict[str, Any] = response.json()
    return report


def show(report: dict[str, Any], console: Console) -> None:
    """Print a verification report."""
    table = Table(show_header=False, box=None)
    table.add_row("campaign", str(report["campaign_id"]))
    table.add_row("entries checked", str(report["entries_checked"]))
    table.add_row("chain head", f"#{report['head_seq']} {report['head_hash'][:16]}…")
    console.print(table)
    failure = report.get("first_failure")
    if failure is None:
        console.print("[bold green]✓ the chain verifies: no entry was altered or removed[/]")
        return
    console.print(f"[bold red]✗ entry #{failure['seq']} does not verify[/]")
    if failure.get("entry_id"):
        console.print(f"  entry id: {failure['entry_id']}")
    console.print(f"  reason:   {failure['reason']}")


@ledger_app.command()
def verify(
    campaign: Annotated[uuid.UUID, typer.Option(help="Campaign whose chain to check.")],
    token: Annotated[
        str, typer.Option(envvar="ISOLOIR_TOKEN", help="Access token for that campaign.")
    ],
    url: Annotated[
        str, typer.Option(envvar="ISOLOIR_CONSENT_URL", help="Base URL of consent-svc.")
    ] = "http://127.0.0.1:8002",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 120.0,
) -> None:
    """Verify a campaign's consent chain and name the first entry that does not verify."""
    console = Console()
    try:
        report = fetch_report(url=url, campaign=campaign, token=token, timeout=timeout)
    except (httpx.HTTPError, RuntimeError) as exc:
        console.print(f"[bold red]cannot verify:[/] {exc}")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    show(report, console)
    if report.get("first_failure") is not None:
        raise typer.Exit(EXIT_BROKEN)
