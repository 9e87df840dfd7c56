"""Nothing a request runs goes through FastAPI's thread pool: a plain function or a
class given to `Depends()`, or a `def` endpoint, is run there, a thread hop on every
request that cost the hot paths a fifth of their throughput."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.e2e.apps import app_with


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _awaited(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 - an instance with an async __call__
    )


async def test_every_endpoint_and_dependency_is_a_coroutine() -> None:
    async with app_with() as app:
        routes = [r for r in app.router.routes if isinstance(r, APIRoute)]
        routes += [r for router in _included(app) for r in router.routes if isinstance(r, APIRoute)]
        mounts = [m.app for m in app.router.routes if isinstance(m, Mount) and m.path == "/a"]
        pages = [p for p in mounts if isinstance(p, FastAPI)]
        routes += [r for p in pages for r in p.router.routes if isinstance(r, APIRoute)]
        assert len(routes) > 30 and any(r.path.startswith("/{token}") for r in routes), routes
        threaded = [
            f"{route.path} {getattr(call, '__name__', call)}"
            for route in routes
            for call in (route.endpoint, *_calls(route.dependant))
            if call is not None and not _awaited(call)
        ]
    assert threaded == []


def _included(app: Any) -> list[Any]:
    from warmintro.api import mailbox
    from warmintro.api.routes import (
        api_keys,
        health,
        inbound,
        intro_requests,
        people,
        warm_paths,
        webhooks,
        workspace,
    )

    modules = (workspace, people, intro_requests, warm_paths, webhooks, api_keys, inbound)
    return [m.router for m in modules] + [health.router, health.metrics_router, mailbox.router]
