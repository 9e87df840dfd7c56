"""Retention: what a workspace keeps only for a while.

Sent, skipped and failed emails, delivered webhook deliveries with their attempts,
and action links that were used or expired go once they are older than the
workspace's `Timing.retention` (90 days unless set). Events and intro requests are
the record of what happened and are never deleted here; neither is an email still
waiting to be sent, however old.
"""

from __future__ import annotations

from warmintro.domain.commands import PurgeExpired
from warmintro.domain.handlers.env import Env


async def purge_expired(cmd: PurgeExpired, env: Env) -> int:
    """One bounded batch over every workspace, each workspace in its own transaction
    so that no transaction holds many locks; answers how many rows went (`limit`
    means there may be more)."""
    now = env.clock.now()
    async with env.uows(write=False) as uow:
        workspaces = await uow.workspaces.every()
    deleted = 0
    for workspace in workspaces:
        if deleted >= cmd.limit:
            break
        async with env.uows() as uow:
            deleted += await uow.retention.purge(
                workspace.id, now - workspace.timing.retention, cmd.limit - deleted
            )
            await uow.commit()
    return deleted
