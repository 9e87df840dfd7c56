"""A workspace's API keys: more than one, listed without their secrets, revoked.

A key's value exists only in the answer that creates it; it is stored as a hash.
A workspace always keeps one active key: revoking its last one is refused (create
the replacement first), so no caller can lock the workspace out of its own API.
"""

from __future__ import annotations

import uuid

from warmintro.domain.access import Principal, hash_api_key, new_api_key
from warmintro.domain.commands import (
    CreateApiKey,
    CreateWorkspaceApiKey,
    ListApiKeys,
    ListWorkspaceApiKeys,
    NewApiKey,
    RevokeApiKey,
    RevokeWorkspaceApiKey,
)
from warmintro.domain.errors import NotFound, NotPermitted
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.outbox import workspace_named
from warmintro.domain.ids import new_id
from warmintro.domain.ports import ApiKey, UnitOfWork


async def create_api_key(cmd: CreateApiKey, env: Env, principal: Principal) -> NewApiKey:
    principal.require_operator()
    async with env.uows() as uow:
        created = await _create(uow, env, principal.workspace_id, cmd.label)
        await uow.commit()
    return created


async def list_api_keys(cmd: ListApiKeys, env: Env, principal: Principal) -> list[ApiKey]:
    principal.require_operator()
    async with env.uows(write=False) as uow:
        return await uow.api_keys.listed(principal.workspace_id)


async def revoke_api_key(cmd: RevokeApiKey, env: Env, principal: Principal) -> ApiKey:
    """The key stops working at once in this process, and within the API-key cache
    time in others. The caller's own key may be revoked unless it is the last one."""
    principal.require_operator()
    async with env.uows() as uow:
        revoked = await _revoke(uow, env, principal.workspace_id, cmd.key_id)
        await uow.commit()
    return revoked


async def create_workspace_api_key(cmd: CreateWorkspaceApiKey, env: Env) -> NewApiKey:
    async with env.uows() as uow:
        workspace_id = await workspace_named(uow, cmd.workspace)
        created = await _create(uow, env, workspace_id, cmd.label)
        await uow.commit()
    return created


async def list_workspace_api_keys(cmd: ListWorkspaceApiKeys, env: Env) -> list[ApiKey]:
    async with env.uows(write=False) as uow:
        return await uow.api_keys.listed(await workspace_named(uow, cmd.workspace))


async def revoke_workspace_api_key(cmd: RevokeWorkspaceApiKey, env: Env) -> ApiKey:
    async with env.uows() as uow:
        workspace_id = await workspace_named(uow, cmd.workspace)
        revoked = await _revoke(uow, env, workspace_id, cmd.key_id)
        await uow.commit()
    return revoked


async def _create(uow: UnitOfWork, env: Env, workspace_id: uuid.UUID, label: str) -> NewApiKey:
    plain = new_api_key(workspace_id)
    key = ApiKey(id=new_id(), workspace_id=workspace_id, label=label, created_at=env.clock.now())
    await uow.api_keys.add(key, hash_api_key(plain))
    return NewApiKey(key, plain)


async def _revoke(uow: UnitOfWork, env: Env, workspace_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoking a key revoked already answers it as it is (revocation is idempotent)."""
    await uow.api_keys.revoke(workspace_id, key_id, env.clock.now())
    keys = await uow.api_keys.listed(workspace_id)
    found = next((k for k in keys if k.id == key_id), None)
    if found is None:
        raise NotFound("API key", key_id)
    if not any(k.active for k in keys):
        raise NotPermitted(
            "this is the workspace's last active API key; create another before revoking it"
        )
    return found
