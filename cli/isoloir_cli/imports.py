"""`isoloir imports`: upload a contact file to contacts-svc and follow its progress."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

imports_app = typer.Typer(no_args_is_help=True, help="Import contact files into a campaign.")
CHUNK = 1 << 20
COUNTS = ("rows_read", "created", "merged", "unchanged", "duplicates", "skipped", "errors")


def _chunks(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            progress.advance(task, len(chunk))
            yield chunk


def upload_and_follow(
    *,
    client: httpx.Client,
    campaign_id: uuid.UUID,
    file_id: uuid.UUID,
    path: Path,
    kind: str,
    origin: str | None,
    mapping: list[str],
    poll_seconds: float,
    console: Console,
) -> dict[str, Any]:
    """Upload the file, then poll the import until it is done; return its final state."""
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("file_id", str(file_id)),
        ("kind", kind),
    ]
    if origin:
        params.append(("origin", origin))
    params += [("map", m) for m in mapping]
    base = f"/v1/campaigns/{campaign_id}/imports"
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        sending = progress.add_task("upload", total=path.stat().st_size)
        response = client.post(
            base,
            params=params,
            content=_chunks(path, progress, sending),
            headers={"content-type": "text/csv"},
        )
        if response.status_code != 202:
            raise typer.BadParameter(_problem(response))
        job: dict[str, Any] = response.json()
        working = progress.add_task("import", total=job["size_bytes"])
        while job["status"] not in ("done", "failed"):
            time.sleep(poll_seconds)
            polled = client.get(f"{base}/{job['id']}")
            polled.raise_for_status()
            job = polled.json()
            progress.update(
                working,
                completed=job["processed_bytes"],
                description=f"import ({job['rows_read']:,} rows)",
            )
        progress.update(working, completed=job["size_bytes"])
    return job


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:200]}"
    errors = "; ".join(f"{e['field']}: {e['reason']}" for e in body.get("errors") or [])
    rule = f" [{body['rule']}]" if body.get("rule") else ""
    return f"{response.status_code} {body.get('title')}{rule}: {errors or body.get('detail')}"


@imports_app.command("upload")
def upload(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV file.")],
    campaign_id: Annotated[uuid.UUID, typer.Option("--campaign", help="Campaign id.")],
    file_id: Annotated[
        uuid.UUID, typer.Option("--file", help="Contact file id (provenance, purpose).")
    ],
    token: Annotated[
        str, typer.Option(envvar="ISOLOIR_TOKEN", help="Access token (campaign manager).")
    ],
    url: Annotated[
        str, typer.Option(envvar="ISOLOIR_CONTACTS_URL", help="contacts-svc base URL.")
    ] = "http://127.0.0.1:8001",
    kind: Annotated[str, typer.Option(help="occasional or regular")] = "occasional",
    origin: Annotated[
        str | None,
        typer.Option(help="Origin of the rows, when the file's provenance allows several."),
    ] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="COLUMN=field, repeatable.")
    ] = None,
    poll_seconds: Annotated[float, typer.Option(help="How often progress is read.")] = 0.5,
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="Write the error report (CSV) here.")
    ] = None,
) -> None:
    """Upload a contact file and show its progress until the import is done."""
    console = Console()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(
        base_url=url, headers=headers, timeout=httpx.Timeout(60.0, connect=5.0)
    ) as client:
        job = upload_and_follow(
            client=client,
            campaign_id=campaign_id,
            file_id=file_id,
            path=path,
            kind=kind,
            origin=origin,
            mapping=mapping or [],
            poll_seconds=poll_seconds,
            console=console,
        )
        table = Table(title=f"import {job['id']}: {job['status']}")
        for name in COUNTS:
            table.add_column(name.replace("_", " "), justify="right")
        table.add_row(*(f"{job[name]:,}" for name in COUNTS))
        console.print(table)
        if job["ignored_columns"]:
            console.print(f"columns not imported: {', '.join(job['ignored_columns'])}")
        if errors_to is not None and (job["errors"] or job["skipped"]):
            report = client.get(f"/v1/campaigns/{campaign_id}/imports/{job['id']}/errors")
            report.raise_for_status()
            errors_to.write_bytes(report.content)
            console.print(f"error report written to {errors_to}")
    if job["status"] != "done":
        raise typer.Exit(code=1)
