"""Creating workspaces and their API keys."""

from __future__ import annotations

from warmintro.domain.access import hash_api_key, new_api_key
from warmintro.domain.ids import new_id
from warmintro.domain.people import Workspace
from warmintro.domain.ports import Clock, UnitOfWork


async def create_workspace(name: str, uow: UnitOfWork, clock: Clock) -> tuple[Workspace, str]:
    """A new workspace and its first API key; the key's plain value exists only in the result."""
    now = clock.now()
    workspace = Workspace(id=new_id(), name=name.strip(), created_at=now)
    key = new_api_key(workspace.id)
    async with uow:
        await uow.workspaces.add(workspace)
        await uow.api_keys.add(workspace.id, hash_api_key(key), now)
        await uow.commit()
    return workspace, key
