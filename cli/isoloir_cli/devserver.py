"""What the local development servers (mail catcher, SMS gateway simulator) share."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import jinja2
import uvicorn
from fastapi import FastAPI

# Pages run no script and load nothing remote, so a viewed mail cannot phone home; inline
# styles stay, since mail is styled inline.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def templates() -> jinja2.Environment:
    """Return the page templates, every value escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("isoloir_cli", "templates"), autoescape=True
    )


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to whoever runs it: it stops when cancelled."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_http(*, app: FastAPI, host: str, port: int) -> None:
    """Serve app on host:port until cancelled, then shut it down gracefully."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Bound here so that a busy port raises OSError rather than uvicorn's sys.exit.
    sock = socket.create_server((host, port), family=family)
    server = _Server(
        uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=5)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        await task
        raise
    finally:
        sock.close()
