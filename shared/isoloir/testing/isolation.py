"""Prove that endpoints refuse another campaign's token (invariant I4).

`assert_refuses_other_campaign` checks one request; `assert_campaign_routes_isolated` walks
every `/campaigns/{campaign_id}/...` route of an app and checks them all, so a route added
later is covered without anyone remembering to add a test. Routes marked public (voter
pages, signed webhooks) are skipped by the walker and checked by their own tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from isoloir.testing.tokens import ALL_ROLES, Tokens

PUBLIC_MARK = "x-isoloir-public"
REFUSED = (403, 404)
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def public(reason: str) -> dict[str, Any]:
    """`openapi_extra` for a route that takes no token (voter-facing page, signed webhook)."""
    return {PUBLIC_MARK: reason}


def is_public(route: APIRoute) -> bool:
    return bool((route.openapi_extra or {}).get(PUBLIC_MARK))


async def assert_refuses_other_campaign(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    tokens: Tokens,
    json: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Send the request with an all-roles token of an unrelated campaign; expect a refusal."""
    intruder = tokens.mint(campaign_id=uuid.uuid4(), roles=ALL_ROLES)
    request_headers = {"Authorization": f"Bearer {intruder}", **(headers or {})}
    response = await client.request(
        method, path, json=json, content=content, headers=request_headers
    )
    assert response.status_code in REFUSED, (
        f"{method} {path} answered {response.status_code} to another campaign's token: "
        f"{response.text[:300]}"
    )
    assert response.headers["content-type"].startswith("application/problem+json")
    return response


def campaign_routes(app: FastAPI) -> list[APIRoute]:
    """Return every non-public route scoped by a campaign id in its path."""
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and "{campaign_id}" in route.path and not is_public(route)
    ]


def token_routes(app: FastAPI) -> list[APIRoute]:
    """Return every route that must demand a token (all but public and operations routes)."""
    operations = {"/healthz", "/readyz", "/metrics"}
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and route.path not in operations and not is_public(route)
    ]


def fill_path(route: APIRoute, values: Mapping[str, str]) -> str:
    """Fill a route template; unnamed parameters get a random UUID."""
    return _PARAM.sub(lambda m: values.get(m.group(1), str(uuid.uuid4())), route.path)


async def assert_campaign_routes_isolated(
    client: httpx.AsyncClient,
    app: FastAPI,
    *,
    tokens: Tokens,
    campaign_id: str | uuid.UUID,
    path_values: Mapping[str, str] | None = None,
) -> list[str]:
    """Call every campaign route of `campaign_id` with another campaign's token.

    Give real ids of the victim campaign's resources in `path_values` so a refusal proves
    isolation rather than absence. Return the checked `METHOD path` list.
    """
    values = {"campaign_id": str(campaign_id), **(path_values or {})}
    checked = []
    for route in campaign_routes(app):
        path = fill_path(route, values)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            await assert_refuses_other_campaign(
                client, method, path, tokens=tokens, json={} if method != "GET" else None
            )
            checked.append(f"{method} {route.path}")
    return checked


async def assert_token_required(client: httpx.AsyncClient, app: FastAPI) -> list[str]:
    """Call every non-public route without a token; each must answer 401 problem+json."""
    checked = []
    for route in token_routes(app):
        path = fill_path(route, {})
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            response = await client.request(method, path)
            assert response.status_code == 401, (
                f"{method} {route.path} answered {response.status_code} without a token"
            )
            assert response.headers["content-type"].startswith("application/problem+json")
            checked.append(f"{method} {route.path}")
    return checked
