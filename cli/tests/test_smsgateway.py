"""The SMS gateway simulator behaves like an operator and reports through signed webhooks.

The simulator and a webhook receiver both run on real sockets; the receiver checks every
signature with `isoloir.signing.verify_webhook`, as messaging-svc will.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from isoloir import localbroker, signing
from isoloir_cli import devserver, smsgateway, smsnetwork

API_KEY = "test-api-key"
SECRET = "test-webhook-secret"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
PHONE = "+33612345678"
UNREACHABLE = "+33612340000"
NO_ANSWER = "+33612340001"


@dataclass
class Receiver:
    """A webhook endpoint that verifies signatures and records what it accepts."""

    fail_first: int = 0
    seen: list[str] = field(default_factory=list)  # delivery id of every request
    accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/healthz")
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.seen.append(request.headers.get(signing.DELIVERY_HEADER, ""))
            try:
                signing.verify_webhook(secrets=[SECRET], body=body, headers=request.headers)
            except signing.SignatureError as exc:
                self.refused.append(str(exc))
                return Response(status_code=401)
            if len(self.seen) <= self.fail_first:
                return Response(status_code=500)
            self.accepted.append((request.headers[signing.DELIVERY_HEADER], json.loads(body)))
            return Response(status_code=204)

        return app


async def eventually(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(3):
        while True:
            if check():
                return
            await asyncio.sleep(0.01)


async def healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as probe, asyncio.timeout(3):
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await probe.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.01)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = localbroker.free_port()
    task = asyncio.create_task(devserver.run_http(app=app, host="127.0.0.1", port=port))
    base = f"http://127.0.0.1:{port}"
    await healthy(base)
    try:
        yield base
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class Rig:
    gateway: httpx.AsyncClient
    receiver: Receiver

    async def records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = (await self.gateway.get("/api/messages")).json()
        return records


@asynccontextmanager
async def rig(receiver: Receiver, **options: Any) -> AsyncIterator[Rig]:
    async with serving(receiver.app()) as receiver_url:
        settings: dict[str, Any] = {
            "api_key": API_KEY,
            "webhook_url": f"{receiver_url}/hook",
            "webhook_secret": SECRET,
            "receipt_delay": 0.02,
            "retry_backoff": 0.01,
            **options,
        }
        async with (
            serving(smsgateway.create_app(**settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=5) as client,
        ):
            yield Rig(gateway=client, receiver=receiver)


async def settled(sms: Rig) -> list[dict[str, Any]]:
    """Return the records once none of them waits for its webhook any more."""
    async with asyncio.timeout(3):
        while True:
            records = await sms.records()
            if all(record["webhook"] != "pending" for record in records):
                return records
            await asyncio.sleep(0.02)


@pytest.fixture
async def sms() -> AsyncIterator[Rig]:
    async with rig(Receiver()) as running:
        yield running


class TestSegmentCounting:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a" * 160, ("gsm7", 1)),
            ("a" * 161, ("gsm7", 2)),
            ("a" * 306, ("gsm7", 2)),
            ("a" * 307, ("gsm7", 3)),
            ("Élection : réunion à 18h, salle Zoé", ("gsm7", 1)),
            ("€" * 80, ("gsm7", 1)),
            ("€" * 81, ("gsm7", 2)),
            ("a" * 152 + "€" + "a" * 7, ("gsm7", 2)),
            ("Ça coûte" + "a" * 62, ("ucs2", 1)),
            ("ê" * 71, ("ucs2", 2)),
            ("ê" * 134, ("ucs2", 2)),
            ("ê" * 135, ("ucs2", 3)),
            ("🗳" * 35, ("ucs2", 1)),
            ("🗳" * 36, ("ucs2", 2)),
        ],
    )
    def test_follows_gsm7_and_ucs2_rules(self, text: str, expected: tuple[str, int]) -> None:
        assert tuple(smsnetwork.count_segments(text=text)) == expected

    def test_never_splits_an_escape_pair_across_segments(self) -> None:
        # 152 septets, then a two-septet euro sign that no longer fits the first segment.
        text = "a" * 152 + "€" + "a" * 152

        assert smsnetwork.count_segments(text=text) == ("gsm7", 3)


class TestSendingSms:
    async def test_accepts_and_posts_a_signed_delivery_receipt(self, sms: Rig) -> None:
        body = {"to": PHONE, "body": "Réunion jeudi", "sender": "Isoloir", "client_ref": "c-1"}

        response = await sms.gateway.post("/v1/messages", json=body, headers=AUTH)
        await eventually(lambda: len(sms.receiver.accepted) == 1)

        assert response.status_code == 202
        accepted = response.json()
        assert (accepted["status"], accepted["segments"], accepted["encoding"]) == (
            "accepted",
            1,
            "gsm7",
        )
        delivery_id, receipt = sms.receiver.accepted[0]
        assert receipt["type"] == "delivery_receipt"
        assert receipt["id"] == delivery_id
        assert receipt["message_id"] == accepted["id"]
        assert (receipt["client_ref"], receipt["to"]) == ("c-1", PHONE)
        assert (receipt["status"], receipt["error"]) == ("delivered", None)
        assert receipt["at"].endswith("+00:00")
        assert sms.receiver.refused == []

    async def test_reports_numbers_ending_in_0000_as_unreachable(self, sms: Rig) -> None:
        await sms.gateway.post("/v1/messages", json={"to": UNREACHABLE, "body": "x"}, headers=AUTH)
        await eventually(lambda: len(sms.receiver.accepted) == 1)

        receipt = sms.receiver.accepted[0][1]
        assert (receipt["status"], receipt["error"]) == ("failed", "unreachable")

    async def test_counts_segments_of_accented_text(self, sms: Rig) -> None:
        body = {"to": PHONE, "body": "Ça coûte " + "ê" * 62}

        response = await sms.gateway.post("/v1/messages", json=body, headers=AUTH)

        assert response.json()["segments"] == 2
        assert response.json()["encoding"] == "ucs2"

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}],
        ids=["missing", "wrong", "not-bearer"],
    )
    async def test_refuses_a_bad_api_key(self, sms: Rig, headers: dict[str, str]) -> None:
        response = await sms.gateway.post(
            "/v1/messages", json={"to": "not a number", "body": ""}, headers=headers
        )

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert await sms.records() == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"to": "0612345678", "body": "x"}, "to"),
            ({"to": "+33 6 12 34 56 78", "body": "x"}, "to"),
            ({"to": PHONE, "body": ""}, "body"),
            ({"to": PHONE, "body": "   "}, "body"),
            ({"to": PHONE}, "body"),
            ({"to": PHONE, "body": "x" * 1601}, "body"),
            ({"to": PHONE, "body": "x", "sender": "Far too long sender"}, "sender"),
            ({"to": PHONE, "body": "x", "priority": "high"}, "priority"),
        ],
    )
    async def test_names_the_invalid_field(
        self, sms: Rig, body: dict[str, str], field: str
    ) -> None:
        response = await sms.gateway.post("/v1/messages", json=body, headers=AUTH)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == [field]

    async def test_retries_a_failing_webhook_under_the_same_delivery_id(self) -> None:
        async with rig(Receiver(fail_first=2)) as sms:
            await sms.gateway.post("/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH)
            records = await settled(sms)

        delivery_id, _ = sms.receiver.accepted[0]
        assert sms.receiver.seen == [delivery_id] * 3
        assert (records[0]["webhook"], records[0]["webhook_attempts"]) == ("delivered", 3)

    async def test_gives_up_after_five_attempts(self) -> None:
        async with rig(Receiver(fail_first=1000)) as sms:
            await sms.gateway.post("/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH)
            records = await settled(sms)

        assert len(set(sms.receiver.seen)) == 1
        assert len(sms.receiver.seen) == 5
        assert (records[0]["webhook"], records[0]["webhook_attempts"]) == ("failed", 5)

    async def test_survives_an_unreachable_webhook(self) -> None:
        closed = f"http://127.0.0.1:{localbroker.free_port()}/hook"
        async with rig(Receiver(), webhook_url=closed, max_attempts=2) as sms:
            response = await sms.gateway.post(
                "/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH
            )
            records = await settled(sms)

        assert response.status_code == 202
        assert (records[0]["webhook"], records[0]["webhook_attempts"]) == ("failed", 2)

    async def test_keeps_phone_numbers_out_of_the_logs(
        self, sms: Rig, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)

        await sms.gateway.post("/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH)
        await sms.gateway.post("/v1/inbound", json={"from": PHONE, "to": "Isoloir", "body": "STOP"})
        await eventually(lambda: len(sms.receiver.accepted) == 2)

        assert "webhook delivered" in caplog.text
        assert PHONE[1:] not in caplog.text


class TestCalls:
    @pytest.mark.parametrize(
        ("to", "status", "error"),
        [(PHONE, "answered", None), (NO_ANSWER, "no_answer", None),
         (UNREACHABLE, "failed", "unreachable")],
    )  # fmt: skip
    async def test_posts_a_call_receipt(
        self, sms: Rig, to: str, status: str, error: str | None
    ) -> None:
        body = {"to": to, "script": "Bonjour, ici la campagne.", "client_ref": "call-1"}

        response = await sms.gateway.post("/v1/calls", json=body, headers=AUTH)
        await eventually(lambda: len(sms.receiver.accepted) == 1)

        assert response.status_code == 202
        delivery_id, receipt = sms.receiver.accepted[0]
        assert receipt["type"] == "call_receipt"
        assert (receipt["id"], receipt["message_id"]) == (delivery_id, response.json()["id"])
        assert (receipt["status"], receipt["error"], receipt["client_ref"]) == (
            status,
            error,
            "call-1",
        )

    async def test_requires_the_api_key(self, sms: Rig) -> None:
        response = await sms.gateway.post("/v1/calls", json={"to": PHONE, "script": "x"})

        assert response.status_code == 401


class TestInbound:
    async def test_posts_an_injected_reply_signed(self, sms: Rig) -> None:
        body = {"from": PHONE, "to": "Isoloir", "body": "STOP"}

        response = await sms.gateway.post("/v1/inbound", json=body)
        await eventually(lambda: len(sms.receiver.accepted) == 1)

        assert response.status_code == 202
        delivery_id, event = sms.receiver.accepted[0]
        assert delivery_id == event["id"] == response.json()["id"]
        assert (event["type"], event["from"], event["to"], event["body"]) == (
            "inbound",
            PHONE,
            "Isoloir",
            "STOP",
        )
        assert event["received_at"]
        assert sms.receiver.refused == []

    async def test_refuses_an_invalid_sender_number(self, sms: Rig) -> None:
        response = await sms.gateway.post(
            "/v1/inbound", json={"from": "06 12", "to": "Isoloir", "body": "STOP"}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "from"

    async def test_page_form_injects_a_reply(self, sms: Rig) -> None:
        form = {"from": PHONE, "to": "Isoloir", "body": "STOP"}

        page = await sms.gateway.get("/")
        posted = await sms.gateway.post("/inbound", data=form)
        await eventually(lambda: len(sms.receiver.accepted) == 1)
        listed = await sms.gateway.get("/")

        assert '<form method="post" action="/inbound">' in page.text
        assert "<script" not in page.text
        assert (posted.status_code, posted.headers["location"]) == (303, "/")
        assert sms.receiver.accepted[0][1]["body"] == "STOP"
        assert PHONE in listed.text

    async def test_page_form_shows_errors_escaped(self, sms: Rig) -> None:
        form = {"from": "<script>x</script>", "to": "Isoloir", "body": "STOP"}

        response = await sms.gateway.post("/inbound", data=form)

        assert response.status_code == 422
        assert "<script>x" not in response.text
        assert "&lt;script&gt;x&lt;/script&gt;" in response.text
        assert "from: must be an E.164 number" in response.text
        assert sms.receiver.seen == []


class TestLifecycle:
    async def test_lists_everything_sent_and_received(self, sms: Rig) -> None:
        await sms.gateway.post("/v1/messages", json={"to": PHONE, "body": "a"}, headers=AUTH)
        await sms.gateway.post("/v1/calls", json={"to": PHONE, "script": "b"}, headers=AUTH)
        await sms.gateway.post("/v1/inbound", json={"from": PHONE, "to": "Isoloir", "body": "c"})
        await eventually(lambda: len(sms.receiver.accepted) == 3)

        records = await settled(sms)

        assert [(r["kind"], r["text"]) for r in records] == [
            ("sms", "a"),
            ("call", "b"),
            ("inbound", "c"),
        ]
        assert [r["status"] for r in records] == ["delivered", "answered", "received"]
        assert {r["webhook"] for r in records} == {"delivered"}

    async def test_shutdown_cancels_pending_receipts(self) -> None:
        receiver = Receiver()
        started = time.monotonic()
        async with rig(receiver, receipt_delay=30) as sms:
            await sms.gateway.post("/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH)

        assert time.monotonic() - started < 3
        assert receiver.seen == []

    async def test_serve_runs_until_cancelled(self) -> None:
        port = localbroker.free_port()
        task = asyncio.create_task(
            smsgateway.serve(port=port, api_key=API_KEY, webhook_url=None, webhook_secret=SECRET)
        )
        await healthy(f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            sent = await client.post("/v1/messages", json={"to": PHONE, "body": "x"}, headers=AUTH)

            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        assert sent.status_code == 202
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    def test_refuses_to_start_without_secrets(self) -> None:
        with pytest.raises(ValueError, match="API key"):
            smsgateway.create_app(api_key="", webhook_url=None, webhook_secret=SECRET)
