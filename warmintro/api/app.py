"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from warmintro import __version__
from warmintro.api import docs, mailbox, openapi, pages, problems
from warmintro.api.body_limit import BodyLimit, refuse_declared_too_large
from warmintro.api.container import Container, bootstrap
from warmintro.api.cors import ApiCors
from warmintro.api.metrics import MetricsMiddleware
from warmintro.api.ratelimit import RateLimitMiddleware
from warmintro.api.request_ids import RequestIds
from warmintro.api.routes import (
    api_keys,
    health,
    inbound,
    intro_requests,
    operation_id,
    people,
    warm_paths,
    webhooks,
    workspace,
)
from warmintro.api.security_headers import SecurityHeaders
from warmintro.infra import migrate
from warmintro.infra.settings import Settings

log = logging.getLogger("warmintro")

DESCRIPTION = """\
Double opt-in warm introductions. An **asker** asks a **connector** for an
introduction; the connector proposes an **expert**, who is asked first and
agrees with one click; only then is everyone introduced.

Errors are RFC 9457 `application/problem+json` with a stable `code`.
Lists are cursor-paginated (`cursor`, `limit` → `items`, `next_cursor`).
POSTs accept `Idempotency-Key`.
"""


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes as the app's own, as `include_router` used to make
    them: FastAPI 0.165 matches an included router route by route on every
    request, router after router and twice for the one that answers (45 µs to
    find a request's read, a tenth of its CPU); the app's own routes are one
    regular expression each. The spec is the same (`openapi --check`)."""
    for route in router.routes:
        assert isinstance(route, APIRoute), route
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            openapi_extra=route.openapi_extra,
        )


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    *,
    migrate_on_start: bool | None = None,
    run_worker: bool = False,
) -> FastAPI:
    """Build the app. With the embedded SQLite default the schema is migrated on start;
    with `run_worker` the outbox and timer worker runs inside the process."""
    settings = settings or (container.settings if container else Settings())
    own = container is None
    container = container or bootstrap(settings)
    auto_migrate = settings.is_sqlite if migrate_on_start is None else migrate_on_start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if auto_migrate:
            await migrate.upgrade(container.engine)
        stop = asyncio.Event()
        task = asyncio.create_task(container.worker.run(stop)) if run_worker else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            if own:
                await container.close()

    app = FastAPI(
        title="warmintro",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Closed (404) unless PUBLIC_DOCS: by default only in development. The pages
        # come from `docs`, with assets of their own rather than a CDN's.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.serves_docs else None,
        dependencies=[Depends(refuse_declared_too_large)],
        generate_unique_id_function=operation_id,
    )
    app.state.container = container
    problems.install(app, container.clock, production=not settings.is_development)
    openapi.install(app)
    if settings.serves_docs:
        docs.install(app)
    routers = [workspace, people, intro_requests, warm_paths, webhooks, api_keys, inbound]
    for router in [*(r.router for r in routers), health.router]:
        add_routes(app, router)
    if settings.serves_metrics:
        add_routes(app, health.metrics_router)
    add_routes(app, mailbox.router)
    app.mount("/a", pages.create_link_pages(container.use_cases))
    # The last added is the outermost: CORS outside the rate limits, so that a browser
    # can read a 429's Retry-After; the security headers outside everything.
    app.add_middleware(RateLimitMiddleware, limits=container.rate_limits)
    if settings.cors_origins:
        app.add_middleware(ApiCors, origins=settings.cors_origins)
    app.add_middleware(MetricsMiddleware, metrics=container.metrics)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, production=not settings.is_development)
    app.add_middleware(RequestIds)  # outermost: every line of a request carries its id
    return app
