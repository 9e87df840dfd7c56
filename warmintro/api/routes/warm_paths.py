"""Warm paths: whom of their own connections an asker should ask about a topic."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from warmintro.api.deps import CallerDep
from warmintro.api.routes import PROBLEMS
from warmintro.api.warm_path_schemas import WarmPathOut, WarmPathsOut
from warmintro.domain import commands as cmd
from warmintro.domain.intro_request import MAX_TOPIC

TOPIC = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"
"""One line with something in it besides spaces."""

router = APIRouter(prefix="/v1/warm-paths", tags=["warm paths"], responses=PROBLEMS)


@router.get("", response_model=WarmPathsOut)
async def find_warm_paths(
    caller: CallerDep,
    topic: Annotated[str, Query(min_length=1, max_length=MAX_TOPIC, pattern=TOPIC)],
    asker_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> WarmPathsOut:
    """The asker's own connections ranked by how likely they can help with the topic,
    best first, each with the reasons. A member token asks for itself (`asker_id`
    may be omitted; someone else's is a 403); an API key names `asker_id`.

    `score` (0 to 100) adds: their own expertise (35: full from one expertise tag the
    topic names, a third for the headline, a sixth for the bio), how many of their
    connections match the topic (30: full from 5), the asker's connection strength
    (20: strength over 5) and their answer rate as a connector over their 50 most
    recent asks (15; half before they settled any ask). Someone at their ask budget
    or snoozed keeps a fifth of it and says so (`at_budget`, `snoozed`). Left out:
    people who opted out or whose email bounces, and connections matching nothing
    of the topic, directly or through their network. People two steps away are
    only counted, never named, and only if they are `discoverable`. Scored are the
    200 connections who match the topic best themselves and the 200 who know the
    most people who do.

    With `target_id`: the asker's connections who know the target, strongest
    connection to the target first, then the asker's to them (`knows_target_strength`)."""
    found = await caller(
        cmd.FindWarmPaths(topic, asker_id=asker_id, target_id=target_id, limit=limit)
    )
    return WarmPathsOut(items=[WarmPathOut.of(p) for p in found])
