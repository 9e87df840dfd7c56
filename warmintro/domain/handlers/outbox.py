"""What an operator sees of queued mail, and sending failed mail again.

An email fails for good only when its transport refused it permanently or kept
failing for longer than its workspace's `Timing.email_retry`; nothing about it
is lost, and an operator may queue it again once the cause is fixed.
"""

from __future__ import annotations

import uuid

from warmintro.domain.commands import ListOutbox, RetryFailedEmails
from warmintro.domain.errors import InvalidInput, NotFound
from warmintro.domain.handlers.env import Env
from warmintro.domain.ports import OutboxEntry, UnitOfWork


async def list_outbox(cmd: ListOutbox, env: Env) -> list[OutboxEntry]:
    async with env.uows(write=False) as uow:
        workspace_id = await _workspace_id(uow, cmd.workspace)
        return await uow.outbox.entries(
            workspace_id=workspace_id, status=cmd.status, limit=cmd.limit
        )


async def retry_failed_emails(cmd: RetryFailedEmails, env: Env) -> list[uuid.UUID]:
    """Failed emails go back to the queue, due now, attempts reset, with a fresh
    retry window; an email that is not failed (sent, still pending) is left alone."""
    async with env.uows() as uow:
        workspace_id = await _workspace_id(uow, cmd.workspace)
        queued = await uow.outbox.retry_failed(
            workspace_id=workspace_id, ids=list(cmd.ids) or None, now=env.clock.now()
        )
        await uow.commit()
    return queued


async def _workspace_id(uow: UnitOfWork, named: str | None) -> uuid.UUID | None:
    """The workspace called `named` (or with that id); None for every workspace."""
    return None if named is None else await workspace_named(uow, named)


async def workspace_named(uow: UnitOfWork, named: str) -> uuid.UUID:
    """The id of the workspace called `named`, or with that id; a name that several
    workspaces share must be given as an id."""
    try:
        by_id = await uow.workspaces.get(uuid.UUID(named))
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id.id
    found = await uow.workspaces.named(named)
    if not found:
        raise NotFound("workspace", named)
    if len(found) > 1:
        ids = ", ".join(str(w.id) for w in found)
        raise InvalidInput(
            f"{len(found)} workspaces are called {named!r}; name one by its id ({ids})",
            field="workspace",
        )
    return found[0].id
