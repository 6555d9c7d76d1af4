"""Request guards shared by every service: body size, content type, one unit of work."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from isoloir import problems

_JSON_TYPE = re.compile(r"^application/([\w.+-]+\+)?json$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming.

    Paths matching one of `large_paths` (uploads) get `large_limit` instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        large_limit: int | None = None,
        large_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.limit = limit
        self.large_limit = large_limit or limit
        self.large_paths = tuple(re.compile(p) for p in large_paths)

    def _limit_for(self, path: str) -> int:
        if any(p.search(path) for p in self.large_paths):
            return self.large_limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_problem(send, _too_large(limit))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_problem(send, _too_large(limit))


def _too_large(limit: int) -> problems.Problem:
    return problems.PayloadTooLarge(f"the request body exceeds the limit of {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_problem(send: Send, problem: problems.Problem) -> None:
    body = json.dumps(problem.document()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", problems.PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
