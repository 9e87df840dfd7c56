"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from warmintro.api.deps import ContainerDep
from warmintro.api.metrics import CONTENT_TYPE
from warmintro.api.problems import problem
from warmintro.api.schemas import Problem

router = APIRouter(tags=["operations"])
metrics_router = APIRouter(tags=["operations"])
"""Served only where `/metrics` is public (PUBLIC_METRICS; development by default)."""


# A named model rather than a dict: generated clients then get a `Status` class, not
# one named after the operation.
class Status(BaseModel):
    """All is well."""

    status: Literal["ok"]


@router.get("/healthz")
async def get_health() -> Status:
    """The process is up."""
    return Status(status="ok")


@router.get(
    "/readyz",
    response_model=Status,
    responses={
        503: {
            "model": Problem,
            "description": "The database does not answer, or its schema is not at the "
            "migration head this code expects (run `warmintro migrate`)",
        }
    },
)
async def get_readiness(c: ContainerDep, request: Request) -> Response | Status:
    """Ready to serve: the database answers and its schema is at this code's
    migration head."""
    reason = await c.unready_because()
    if reason is not None:
        return problem(503, "not_ready", "Not ready", reason, request)
    return Status(status="ok")


@metrics_router.get("/metrics", response_class=Response)
async def get_metrics(c: ContainerDep) -> Response:
    """Prometheus text format: requests and their latency by route template, method
    and status; the email queue (waiting, failed for good, the oldest's age) and
    send outcomes; timers due and fired; webhook deliveries by outcome; when each
    worker stage last completed a pass."""
    return Response(await c.metrics.scrape(), media_type=CONTENT_TYPE)
