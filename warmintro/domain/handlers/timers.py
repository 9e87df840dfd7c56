"""Time's use case: reminders, expiry and hand-off, the "did it help?" ask.

Each waiting request has one durable timer row at its next due time. Workers
claim due rows (skipping rows another worker holds) and apply what time has
brought in the same transaction as the claim; the aggregate's optimistic
version check makes a race with a person's decision harmless, and a repeated
tick is a no-op, so each reminder goes out once and each request expires once.
"""

from __future__ import annotations

from warmintro.domain.errors import ConcurrentUpdate
from warmintro.domain.handlers.intro_requests import available_fallbacks, enqueue_effects
from warmintro.domain.intro_request import State
from warmintro.domain.ports import Clock, UnitOfWork


async def fire_due_timers(uow: UnitOfWork, clock: Clock, *, limit: int = 20) -> int:
    """Apply every due timer in one batch; returns how many were claimed."""
    now = clock.now()
    try:
        async with uow:
            due = await uow.requests.claim_due(now, limit)
            for workspace_id, request_id in due:
                workspace = await uow.workspaces.get(workspace_id)
                request = await uow.requests.get(workspace_id, request_id)
                if workspace is None or request is None:
                    continue
                past_deadline = request.deadline_at is not None and now >= request.deadline_at
                available = (
                    await available_fallbacks(uow, workspace, request, now)
                    if past_deadline and request.state is State.AWAITING_CONNECTOR
                    else frozenset()
                )
                if request.tick(now, workspace.timing, available):
                    await uow.requests.save(request)
                    await enqueue_effects(uow, request, now)
                else:
                    await uow.requests.reschedule(request)
            await uow.commit()
    except ConcurrentUpdate:
        return 0  # someone decided meanwhile; the timer is still there for the next pass
    return len(due)
