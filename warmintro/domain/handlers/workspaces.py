"""Creating workspaces and their API keys, and a workspace's own settings."""

from __future__ import annotations

from dataclasses import replace

from warmintro.domain.access import Principal, hash_api_key, new_api_key
from warmintro.domain.commands import CreateWorkspace, GetWorkspace, NewWorkspace, UpdateWorkspace
from warmintro.domain.errors import NotFound
from warmintro.domain.handlers.env import Env
from warmintro.domain.ids import new_id
from warmintro.domain.people import Workspace
from warmintro.domain.ports import ApiKey


async def create_workspace(cmd: CreateWorkspace, env: Env) -> NewWorkspace:
    """A new workspace and its first API key; the key's plain value exists only in the result."""
    now = env.clock.now()
    workspace = Workspace(id=new_id(), name=cmd.name.strip(), created_at=now)
    key = new_api_key(workspace.id)
    first = ApiKey(id=new_id(), workspace_id=workspace.id, label="first key", created_at=now)
    async with env.uows() as uow:
        await uow.workspaces.add(workspace)
        await uow.api_keys.add(first, hash_api_key(key))
        await uow.commit()
    return NewWorkspace(workspace, key)


async def get_workspace(cmd: GetWorkspace, env: Env, principal: Principal) -> Workspace:
    principal.require_operator()
    return principal.workspace


async def update_workspace(cmd: UpdateWorkspace, env: Env, principal: Principal) -> Workspace:
    """Deadlines, reminders, the feedback delay and ask budgets of this workspace.
    Requests already waiting keep the deadlines they were given."""
    principal.require_operator()
    async with env.uows() as uow:
        workspace = await uow.workspaces.get(principal.workspace_id)
        if workspace is None:
            raise NotFound("workspace")
        updated = replace(
            workspace,
            name=cmd.name.strip() if cmd.name is not None else workspace.name,
            timing=replace(workspace.timing, **cmd.timing) if cmd.timing else workspace.timing,
            budgets=replace(workspace.budgets, **cmd.budgets) if cmd.budgets else workspace.budgets,
        )
        await uow.workspaces.update(updated)
        await uow.commit()
    return updated
