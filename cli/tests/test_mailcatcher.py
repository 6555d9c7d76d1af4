"""The mail catcher keeps every message it receives over real SMTP and shows it safely."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from isoloir import localbroker
from isoloir_cli import mailcatcher

SENDER = "campagne@example.org"
FIRST = "alice@example.net"
SECOND = "bob@example.net"
HOSTILE_HTML = '<p onclick="steal()">Bonjour</p><script>alert("pwned")</script>'


@dataclass
class Catcher:
    smtp_port: int
    http: httpx.AsyncClient
    mail_dir: Path


@pytest.fixture
async def catcher(tmp_path: Path) -> AsyncIterator[Catcher]:
    smtp_port, http_port = localbroker.free_port(), localbroker.free_port()
    task = asyncio.create_task(
        mailcatcher.serve(data_dir=tmp_path, smtp_port=smtp_port, http_port=http_port)
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=5) as http:
        async with asyncio.timeout(3):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.01)
        yield Catcher(smtp_port=smtp_port, http=http, mail_dir=tmp_path / "mail")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def newsletter(subject: str = "Réunion publique jeudi") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = FIRST
    msg["Subject"] = subject
    msg["List-Unsubscribe"] = "<https://isoloir.example/u/tok>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content("Bonjour, rendez-vous jeudi.")
    msg.add_alternative(HOSTILE_HTML, subtype="html")
    return msg


async def send(catcher: Catcher, msg: EmailMessage, recipients: list[str]) -> None:
    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", catcher.smtp_port, timeout=5) as client:
            client.send_message(msg, from_addr=SENDER, to_addrs=recipients)

    await asyncio.to_thread(deliver)


async def only_message(catcher: Catcher) -> dict[str, object]:
    listed = (await catcher.http.get("/api/messages")).json()
    assert len(listed) == 1
    response = await catcher.http.get(f"/api/messages/{listed[0]['id']}")
    assert response.status_code == 200
    detail: dict[str, object] = response.json()
    return detail


class TestMailCatcher:
    async def test_keeps_one_file_per_message_with_every_envelope_recipient(
        self, catcher: Catcher
    ) -> None:
        await send(catcher, newsletter(), [FIRST, SECOND])

        files = list(catcher.mail_dir.glob("*.eml"))
        message = await only_message(catcher)

        assert len(files) == 1
        assert files[0].stem == message["id"]
        assert f"{mailcatcher.ENVELOPE_TO_HEADER}: {FIRST}, {SECOND}" in files[0].read_text()
        assert message["envelope_to"] == [FIRST, SECOND]
        assert message["envelope_from"] == SENDER
        assert message["to"] == FIRST

    async def test_api_returns_headers_and_parts(self, catcher: Catcher) -> None:
        await send(catcher, newsletter(), [FIRST])

        message = await only_message(catcher)

        assert message["subject"] == "Réunion publique jeudi"
        assert message["list_unsubscribe"] == "<https://isoloir.example/u/tok>"
        assert message["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
        assert str(message["text"]).rstrip() == "Bonjour, rendez-vous jeudi."
        assert str(message["html"]).rstrip() == HOSTILE_HTML
        parts = message["parts"]
        assert isinstance(parts, list)
        assert [p["content_type"] for p in parts] == ["text/plain", "text/html"]
        headers = message["headers"]
        assert isinstance(headers, list)
        assert {"name": "List-Unsubscribe-Post", "value": "List-Unsubscribe=One-Click"} in headers

    async def test_message_page_never_lets_the_html_part_run(self, catcher: Catcher) -> None:
        await send(catcher, newsletter(), [FIRST])
        message = await only_message(catcher)

        page = await catcher.http.get(f"/messages/{message['id']}")

        assert page.status_code == 200
        assert "<script" not in page.text
        assert "<p onclick" not in page.text
        assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text
        assert '<iframe sandbox=""' in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "List-Unsubscribe=One-Click" in page.text

    async def test_list_page_shows_newest_first(self, catcher: Catcher) -> None:
        await send(catcher, newsletter("Premier"), [FIRST])
        await send(catcher, newsletter("Second <b>envoi</b>"), [FIRST])

        page = await catcher.http.get("/")
        listed = (await catcher.http.get("/api/messages")).json()

        assert [m["subject"] for m in listed] == ["Second <b>envoi</b>", "Premier"]
        assert page.text.index("Second &lt;b&gt;envoi&lt;/b&gt;") < page.text.index("Premier")
        assert "<script" not in page.text

    async def test_raw_download_is_the_stored_file(self, catcher: Catcher) -> None:
        await send(catcher, newsletter(), [FIRST])
        message = await only_message(catcher)

        raw = await catcher.http.get(f"/messages/{message['id']}/raw")

        assert raw.status_code == 200
        assert raw.headers["content-type"] == "message/rfc822"
        assert raw.content == (catcher.mail_dir / f"{message['id']}.eml").read_bytes()

    async def test_delete_clears_every_message(self, catcher: Catcher) -> None:
        await send(catcher, newsletter(), [FIRST])
        await send(catcher, newsletter(), [SECOND])

        deleted = await catcher.http.delete("/api/messages")

        assert deleted.json() == {"deleted": 2}
        assert (await catcher.http.get("/api/messages")).json() == []
        assert list(catcher.mail_dir.glob("*.eml")) == []

    async def test_keeps_addresses_out_of_the_logs(
        self, catcher: Catcher, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)

        await send(catcher, newsletter(), [FIRST, SECOND])

        assert "mail captured" in caplog.text
        assert "@example" not in caplog.text

    @pytest.mark.parametrize(
        "message_id", ["nope", "..%2F..%2Fetc%2Fpasswd", "0" * 20 + "-" + "a" * 32]
    )
    async def test_unknown_ids_are_not_found(self, catcher: Catcher, message_id: str) -> None:
        response = await catcher.http.get(f"/api/messages/{message_id}")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
