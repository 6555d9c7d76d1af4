"""Request guards shared by every service: content type, one unit of work.

Body size is FastAPI's own `max_body_size` (set per app from settings, per route for uploads).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from isoloir import problems

PUBLIC_MARK = "x-isoloir-public"


def public(reason: str) -> dict[str, Any]:
    """Mark a route that takes no token (voter-facing page, signed webhook, login)."""
    return {PUBLIC_MARK: reason}


_JSON_TYPE = re.compile(r"^application/([\w.+-]+\+)?json$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class JsonRoute(APIRoute):
    """A route whose JSON body must be sent as JSON: anything else gets 415."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body = self.body_field
        expects_json = body is not None and not _is_form(self)
        if not expects_json:
            return handler

        async def guarded(request: Request) -> Response:
            raw_type = request.headers.get("content-type", "")
            media_type = raw_type.split(";", 1)[0].strip().lower()
            has_body = request.headers.get("content-length", "0") not in ("", "0") or (
                "transfer-encoding" in request.headers
            )
            if (media_type or has_body) and not _JSON_TYPE.match(media_type):
                shown = media_type or "none"
                raise problems.UnsupportedMediaType(
                    f"this endpoint takes application/json, not {shown}"
                )
            return await handler(request)

        return guarded


def _is_form(route: APIRoute) -> bool:
    from fastapi import params

    info = route.body_field.field_info if route.body_field else None
    return isinstance(info, params.Form | params.File)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the handler and before the response."""
    kernel = request.app.state.kernel
    async with kernel.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


class ProblemTooLarge:
    """Render the body limiter's plain-text 413 as problem+json like every other error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replacing = False

        async def rewriting_send(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/plain"):
                    replacing = True
                    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
                    shown = f" of {limit} bytes" if limit is not None else ""
                    problem = problems.PayloadTooLarge(f"the request body exceeds the limit{shown}")
                    body = json.dumps(problem.document()).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 413,
                            "headers": [
                                (b"content-type", problems.PROBLEM_MEDIA_TYPE.encode()),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
            if replacing:
                return
            await send(message)

        await self.app(scope, receive, rewriting_send)
