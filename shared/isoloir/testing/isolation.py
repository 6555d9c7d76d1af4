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
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from isoloir.http import PUBLIC_MARK
from isoloir.testing.tokens import ALL_ROLES, Tokens

REFUSED = (403, 404)
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    """One effective route: its full path, methods and the route object behind it."""

    path: str
    methods: frozenset[str]
    route: APIRoute

    @property
    def public(self) -> bool:
        return bool((self.route.openapi_extra or {}).get(PUBLIC_MARK))


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Return every API route of the app with its full path (included routers flattened)."""
    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            methods = frozenset(context.methods or route.methods or ()) - {"HEAD", "OPTIONS"}
            out.append(Endpoint(path=context.path or route.path, methods=methods, route=route))
    return out


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


def campaign_routes(app: FastAPI) -> list[Endpoint]:
    """Return every non-public route scoped by a campaign id in its path."""
    return [e for e in endpoints(app) if "{campaign_id}" in e.path and not e.public]


OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})


def token_routes(app: FastAPI) -> list[Endpoint]:
    """Return every route that must demand a token (all but public and operations routes)."""
    return [e for e in endpoints(app) if e.path not in OPERATIONS and not e.public]


def fill_path(path: str, values: Mapping[str, str]) -> str:
    """Fill a route template; unnamed parameters get a random UUID."""
    return _PARAM.sub(lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


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
    for endpoint in campaign_routes(app):
        path = fill_path(endpoint.path, values)
        for method in sorted(endpoint.methods):
            await assert_refuses_other_campaign(
                client, method, path, tokens=tokens, json={} if method != "GET" else None
            )
            checked.append(f"{method} {endpoint.path}")
    return checked


async def assert_token_required(client: httpx.AsyncClient, app: FastAPI) -> list[str]:
    """Call every non-public route without a token; each must answer 401 problem+json."""
    checked = []
    for endpoint in token_routes(app):
        path = fill_path(endpoint.path, {})
        for method in sorted(endpoint.methods):
            response = await client.request(method, path)
            assert response.status_code == 401, (
                f"{method} {endpoint.path} answered {response.status_code} without a token"
            )
            assert response.headers["content-type"].startswith("application/problem+json")
            checked.append(f"{method} {endpoint.path}")
    return checked
