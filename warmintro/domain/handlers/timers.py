"""Time's use case: reminders, expiry and hand-off, the "did it help?" ask.

Each waiting request has one durable timer row at its next due time. Workers
claim due rows (skipping rows another worker holds) and apply what time has
brought in the same transaction as the claim; the aggregate's optimistic
version check makes a race with a person's decision harmless, and a repeated
tick is a no-op, so each reminder goes out once and each request expires once.
"""

from __future__ import annotations

from datetime import datetime

from warmintro.domain.commands import FireDueTimers
from warmintro.domain.errors import ConcurrentUpdate
from warmintro.domain.handlers.effects import save_and_enqueue
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.moving_on import available_fallbacks, past_an_unreachable_connector
from warmintro.domain.intro_request import State
from warmintro.domain.ports import UnitOfWork


async def fire_due_timers(cmd: FireDueTimers, env: Env) -> int:
    """Apply due timers, each in its own transaction; returns how many were applied.
    A timer that loses a race with a decision stays due and is tried on a later pass."""
    now = env.clock.now()
    fired = 0
    for _ in range(cmd.limit):
        try:
            async with env.uows() as uow:
                if not await _fire_one(uow, now):
                    break
            fired += 1
        except ConcurrentUpdate:
            break
    return fired


async def _fire_one(uow: UnitOfWork, now: datetime) -> bool:
    due = await uow.requests.claim_due(now, 1)
    if not due:
        return False
    workspace_id, request_id = due[0]
    workspace = await uow.workspaces.get(workspace_id)
    request = await uow.requests.get(workspace_id, request_id)
    if workspace is None or request is None:
        return False
    past_deadline = request.deadline_at is not None and now >= request.deadline_at
    available = (
        await available_fallbacks(uow, workspace, request, now)
        if past_deadline and request.state is State.AWAITING_CONNECTOR
        else frozenset()
    )
    was = request.state
    if request.tick(now, workspace.timing, available):
        if was is State.AWAITING_EXPERT:  # a silent expert: the ask is back with the connector
            await past_an_unreachable_connector(uow, workspace, request, now)
        await save_and_enqueue(uow, request, now)
    else:
        await uow.requests.reschedule(request)
    await uow.commit()
    return True
