"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from warmintro.api.deps import ContainerDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database is not reachable"}})
async def readyz(c: ContainerDep, response: Response) -> dict[str, str]:
    """The process can reach its database."""
    if not await c.database_ready():
        response.status_code = 503
        return {"status": "unavailable"}
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
async def metrics(c: ContainerDep) -> Response:
    """Prometheus text format: request counts and latencies by route and status; emails
    waiting, failed for good, and the age of the oldest waiting one."""
    return Response(await c.metrics.scrape(), media_type="text/plain; version=0.0.4")
