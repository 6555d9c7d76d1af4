"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from isoloir.db import ping
from isoloir.http import JsonRoute

router = APIRouter(tags=["operations"], route_class=JsonRoute)


@router.get("/healthz", summary="Tell that the process is alive")
async def healthz() -> dict[str, str]:
    """Tell that the process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Tell whether the database and the broker are reachable",
    responses={503: {"description": "A dependency is unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Tell whether the database and the broker are reachable (503 otherwise)."""
    kernel = request.app.state.kernel
    timeout = kernel.settings.broker_timeout_seconds
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(ping(kernel.engine), timeout)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        await kernel.broker.ping()
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    for name, state in checks.items():
        kernel.metrics.dependency_up.labels(name).set(1 if state == "ok" else 0)
    body = {"status": "ready" if ready else "not ready", "service": kernel.name, "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)
