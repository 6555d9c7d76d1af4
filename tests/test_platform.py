"""Every service is a kernel service: probes, metrics, docs, tokens everywhere but public routes."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from isoloir.settings import ServiceSettings
from isoloir.testing import isolation
from isoloir.testing.plugin import RunningService, running

SERVICES = ["contacts", "consent", "messaging", "rights", "analytics"]


def service_parts(name: str) -> tuple[Any, type[ServiceSettings]]:
    app_module = importlib.import_module(f"{name}_svc.app")
    config = importlib.import_module(f"{name}_svc.config")
    settings_cls = next(
        value
        for value in vars(config).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
    )
    return app_module.create_app, settings_cls


@pytest.fixture(params=SERVICES)
async def svc(
    request: pytest.FixtureRequest, service_settings: Any
) -> AsyncIterator[RunningService]:
    create_app, settings_cls = service_parts(request.param)
    settings = await service_settings(settings_cls)
    async with running(create_app(settings)) as running_service:
        yield running_service


class TestEveryService:
    async def test_it_is_alive_and_ready_with_its_database_and_the_broker(
        self, svc: RunningService
    ) -> None:
        alive = await svc.client.get("/healthz")
        ready = await svc.client.get("/readyz")

        assert alive.status_code == 200
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}

    async def test_it_exposes_the_kernel_metrics_under_its_own_name(
        self, svc: RunningService
    ) -> None:
        await svc.client.get("/readyz")

        text = (await svc.client.get("/metrics")).text

        name = svc.settings.service_name
        for metric in ("http_requests_total", "outbox_pending", "events_consumed_total"):
            assert f"{name}_{metric}" in text
        assert f'{name}_dependency_up{{dependency="broker"}} 1.0' in text

    async def test_it_documents_its_api(self, svc: RunningService) -> None:
        docs = await svc.client.get("/docs")
        schema = await svc.client.get("/openapi.json")

        assert docs.status_code == 200
        assert schema.json()["info"]["title"] == f"Isoloir {svc.settings.service_name}-svc"

    async def test_every_route_but_voter_pages_and_webhooks_demands_a_token(
        self, svc: RunningService
    ) -> None:
        await isolation.assert_token_required(svc.client, svc.app)

    async def test_it_answers_unknown_routes_with_a_problem(self, svc: RunningService) -> None:
        response = await svc.client.get("/v1/nothing-here")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_it_is_not_ready_when_the_broker_is_unreachable(
        self, service_settings: Any, svc: RunningService
    ) -> None:
        create_app, settings_cls = service_parts(svc.settings.service_name)
        settings = await service_settings(
            settings_cls, kafka_bootstrap_servers="127.0.0.1:1", broker_timeout_seconds=1.0
        )

        async with running(create_app(settings)) as cut_off:
            ready = await cut_off.client.get("/readyz")

        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"].startswith("unreachable")
