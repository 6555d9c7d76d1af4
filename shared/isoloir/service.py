"""Assemble a service: one typed lifespan owns every resource and stops them in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from isoloir import auth, db, health, logs, metrics, migrations, problems
from isoloir.consumer import Handler, HandlerMap, IdempotentConsumer
from isoloir.http import JsonRoute, ProblemTooLarge
from isoloir.kafka import Broker
from isoloir.outbox import Outbox, Relay
from isoloir.settings import ServiceSettings

log = logging.getLogger("isoloir.service")

Hook = Callable[["Kernel"], AbstractAsyncContextManager[None]]


@dataclass
class ServiceDefinition:
    """What makes a service different from the others; the kernel does the rest."""

    title: str
    description: str
    settings: ServiceSettings
    migrations: migrations.MigrationSpec
    routers: Sequence[APIRouter] = ()
    handlers: HandlerMap = field(default_factory=dict)
    hooks: Sequence[Hook] = ()
    version: str = "0.1.0"


@dataclass
class Kernel:
    """The resources of one running service, reachable as `request.app.state.kernel`."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    broker: Broker
    outbox: Outbox
    relay: Relay
    consumer: IdempotentConsumer
    metrics: metrics.Metrics
    http: httpx.AsyncClient
    extras: dict[str, Any] = field(default_factory=dict)


def merge_handlers(*maps: HandlerMap) -> dict[str, list[Handler]]:
    """Combine handler registries; several handlers may answer one event type."""
    out: dict[str, list[Handler]] = {}
    for mapping in maps:
        for event_type, handlers in mapping.items():
            out.setdefault(event_type, []).extend(handlers)
    return out


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    """Build the FastAPI app of a service from its definition."""
    settings = definition.settings
    service_metrics = metrics.Metrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        logs.configure(settings.service_name, settings.log_level)
        log.info("starting", extra={"settings": settings.safe_summary()})
        async with AsyncExitStack() as stack:
            engine = db.create_engine(settings.database_url)
            stack.push_async_callback(engine.dispose)
            await migrations.upgrade(engine, definition.migrations)
            sessionmaker = db.create_sessionmaker(engine)
            broker = Broker(settings)
            stack.push_async_callback(broker.close)
            relay = Relay(
                settings=settings, sessionmaker=sessionmaker, broker=broker, metrics=service_metrics
            )
            outbox = Outbox(settings, on_commit=relay.wake)
            extras: dict[str, Any] = {}
            consumer = IdempotentConsumer(
                settings=settings,
                sessionmaker=sessionmaker,
                broker=broker,
                outbox=outbox,
                metrics=service_metrics,
                handlers=merge_handlers(auth.KERNEL_HANDLERS, definition.handlers),
                extras=extras,
            )
            client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
            stack.push_async_callback(client.aclose)
            kernel = Kernel(
                name=settings.service_name,
                settings=settings,
                engine=engine,
                sessionmaker=sessionmaker,
                broker=broker,
                outbox=outbox,
                relay=relay,
                consumer=consumer,
                metrics=service_metrics,
                http=client,
                extras=extras,
            )
            app.state.kernel = kernel
            relay.start()
            stack.push_async_callback(relay.stop)
            consumer.start()
            stack.push_async_callback(consumer.stop)
            for hook in definition.hooks:
                await stack.enter_async_context(hook(kernel))
            log.info("ready to serve")
            yield {}
            log.info("stopping")

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        responses=problems.responses(problems.Unauthorized),
    )
    app.router.route_class = JsonRoute
    problems.install(app)
    # The limit is set per router (a route may raise it, e.g. for uploads) rather than on the
    # app, so that the limiter runs inside our middleware and its 413 becomes problem+json.
    limit = settings.max_body_bytes
    app.include_router(health.router, max_body_size=limit)
    for router in definition.routers:
        app.include_router(router, max_body_size=limit)
    _refuse_plain_routes(app)
    metrics.install(app, service_metrics)
    app.add_middleware(ProblemTooLarge)
    return app


def _refuse_plain_routes(app: FastAPI) -> None:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and not isinstance(route, JsonRoute):
            raise TypeError(
                f"route {context.path} must use isoloir.http.JsonRoute "
                "(APIRouter(route_class=JsonRoute)) so content types are checked"
            )


def periodic(
    name: str,
    *,
    every: Callable[[ServiceSettings], float],
    job: Callable[[Kernel], Awaitable[object]],
) -> Hook:
    """A hook that runs `job` every `every(settings)` seconds, one replica at a time.

    A failing round is logged and tried again at the next interval; the loop stops with the
    service.
    """

    @asynccontextmanager
    async def hook(kernel: Kernel) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                try:
                    async with db.exclusive(kernel.engine, name=name) as mine:
                        if mine:
                            await job(kernel)
                except Exception:
                    log.warning(
                        "periodic job failed; will retry", extra={"job": name}, exc_info=True
                    )
                await asyncio.sleep(every(kernel.settings))

        task = asyncio.create_task(loop(), name=name)
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return hook


def get_kernel(request: Request) -> Kernel:
    kernel: Kernel = request.app.state.kernel
    return kernel


KernelDep = Annotated[Kernel, Depends(get_kernel)]


def json_router(**kwargs: Any) -> APIRouter:
    """Return an APIRouter whose routes check content types (use for every service router)."""
    return APIRouter(route_class=JsonRoute, **kwargs)


def handlers_of(mapping: Mapping[str, Sequence[Handler]]) -> HandlerMap:
    """Type helper for service HANDLERS registries."""
    return mapping
