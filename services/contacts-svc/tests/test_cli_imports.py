"""`isoloir imports upload`: the CLI streams a file to a running contacts-svc and shows progress."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import anyio
import contacts_data
import httpx
from typer.testing import CliRunner
from world import campaign_body

from contacts_svc.app import create_app
from contacts_svc.config import ContactsSettings
from isoloir import localbroker
from isoloir.auth import Role
from isoloir.testing.tokens import Tokens
from isoloir_cli import devserver
from isoloir_cli.imports import imports_app


class TestImportCommand:
    async def test_the_command_uploads_shows_progress_writes_the_report_and_names_refusals(
        self, service_settings: Any, tokens: Tokens, tmp_path: Path
    ) -> None:
        settings = await service_settings(ContactsSettings, import_dir=tmp_path / "uploads")
        port = localbroker.free_port()
        server = asyncio.create_task(
            devserver.run_http(app=create_app(settings), host="127.0.0.1", port=port)
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await asyncio.to_thread(localbroker.wait_for_port, "127.0.0.1", port, 30)
            async with httpx.AsyncClient(base_url=url) as client:
                bootstrap = tokens.mint(campaign_id=None, roles=[Role.PARTY_ADMIN])
                admin = {"Authorization": f"Bearer {bootstrap}"}
                await client.put(
                    f"/v1/parties/{tokens.party_id}", json={"name": "P"}, headers=admin
                )
                campaign = (
                    await client.post(
                        f"/v1/parties/{tokens.party_id}/campaigns",
                        json=campaign_body(),
                        headers=admin,
                    )
                ).json()
                token = tokens.mint(campaign_id=campaign["id"], roles=[Role.CAMPAIGN_MANAGER])
                file = (
                    await client.post(
                        f"/v1/campaigns/{campaign['id']}/files",
                        json={
                            "name": "Adhérents",
                            "purpose": "News",
                            "provenance": "party_members",
                        },
                        headers={"Authorization": f"Bearer {token}"},
                    )
                ).json()
            path = tmp_path / "adherents.csv"
            expected = contacts_data.write_csv(path, 2000, seed=9)
            report = tmp_path / "errors.csv"
            args = [
                str(path),
                "--campaign",
                campaign["id"],
                "--file",
                file["id"],
                "--token",
                token,
                "--url",
                url,
                "--poll-seconds",
                "0.05",
                "--errors",
                str(report),
            ]

            result = await asyncio.to_thread(
                CliRunner().invoke, imports_app, args, terminal_width=200
            )

            assert result.exit_code == 0, result.output
            assert "upload" in result.output
            assert "import" in result.output
            assert f"{expected.people:,}" in result.output  # the created count in the summary
            lines = (await anyio.Path(report).read_text()).strip().splitlines()
            assert lines[0] == "row,field,reason"
            assert len(lines) - 1 == expected.bad_rows

            refused = tmp_path / "religion.csv"
            refused.write_text("Nom;Email;Religion\nCurie;m.curie@example.org;aucune\n")
            args[0] = str(refused)
            refusal = await asyncio.to_thread(
                CliRunner().invoke, imports_app, args, terminal_width=200
            )

            assert refusal.exit_code != 0
            assert "R10" in refusal.output
            assert "Religion" in refusal.output
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
