"""The workspace's API keys (API keys only): another key, the list, revoking one."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from warmintro.api.deps import CallerDep, ContainerDep
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import ApiKeyIn, ApiKeyOut, NewApiKeyOut
from warmintro.domain import commands as cmd

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=PROBLEMS)


@router.post("", status_code=201, response_model=NewApiKeyOut)
async def create_api_key(body: ApiKeyIn, caller: CallerDep) -> NewApiKeyOut:
    """Another key for this workspace, to rotate one or to give each backend its own.
    The key is in this response only (it is stored as a hash), so this call takes no
    Idempotency-Key: a replayed answer would have to keep the key."""
    created = await caller(cmd.CreateApiKey(label=body.label))
    return NewApiKeyOut(**ApiKeyOut.of(created.key).model_dump(), key=created.plain)


@router.get("", response_model=list[ApiKeyOut])
async def list_api_keys(caller: CallerDep) -> list[ApiKeyOut]:
    """Every key of the workspace, revoked ones too, oldest first; never a key's value."""
    return [ApiKeyOut.of(key) for key in await caller(cmd.ListApiKeys())]


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_api_key(key_id: uuid.UUID, caller: CallerDep, c: ContainerDep) -> Response:
    """Revoke a key, the calling one included, unless it is the workspace's last
    active key (403: create another first). Refused at once by this process, and by
    other API processes within API_KEY_CACHE_SECONDS (30 s by default). Revoking a
    key revoked already changes nothing."""
    await caller(cmd.RevokeApiKey(key_id))
    c.auth.forget()
    return Response(status_code=204)
