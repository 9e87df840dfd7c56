"""Managing webhook endpoints (API keys only) and their delivery log."""

from __future__ import annotations

import uuid

from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    CreateEndpoint,
    DeleteEndpoint,
    EnableEndpoint,
    GetEndpoint,
    ListDeliveries,
    ListEndpoints,
    RetryDelivery,
    RotateSecret,
)
from warmintro.domain.errors import NotFound
from warmintro.domain.handlers.env import Env
from warmintro.domain.ids import new_id
from warmintro.domain.ports import Page, UnitOfWork, WebhookDelivery
from warmintro.domain.webhooks import WebhookEndpoint, check_url, new_secret


async def create_endpoint(cmd: CreateEndpoint, env: Env, principal: Principal) -> WebhookEndpoint:
    """Register a URL. Its signing secret is in the result, and shown only this once."""
    principal.require_operator()
    guard = env.webhook_addresses
    url = check_url(cmd.url, allow_http_loopback=guard.allow_http_loopback)
    await guard.check(url)
    now = env.clock.now()
    endpoint = WebhookEndpoint(
        id=new_id(),
        workspace_id=principal.workspace_id,
        url=url,
        secret=new_secret(),
        description=cmd.description.strip(),
        event_types=tuple(dict.fromkeys(cmd.event_types)),
        created_at=now,
        updated_at=now,
    )
    async with env.uows() as uow:
        await uow.webhooks.add(endpoint)
        await uow.commit()
    return endpoint


async def get_endpoint(cmd: GetEndpoint, env: Env, principal: Principal) -> WebhookEndpoint:
    principal.require_operator()
    async with env.uows(write=False) as uow:
        return await _endpoint(uow, principal, cmd.endpoint_id)


async def list_endpoints(
    cmd: ListEndpoints, env: Env, principal: Principal
) -> Page[WebhookEndpoint]:
    principal.require_operator()
    async with env.uows(write=False) as uow:
        return await uow.webhooks.page(principal.workspace_id, after=cmd.after, limit=cmd.limit)


async def delete_endpoint(cmd: DeleteEndpoint, env: Env, principal: Principal) -> None:
    principal.require_operator()
    async with env.uows() as uow:
        await _endpoint(uow, principal, cmd.endpoint_id)
        await uow.webhooks.delete(principal.workspace_id, cmd.endpoint_id, env.clock.now())
        await uow.commit()


async def rotate_secret(cmd: RotateSecret, env: Env, principal: Principal) -> WebhookEndpoint:
    """A new secret, shown once; for 24 hours deliveries carry both signatures."""
    principal.require_operator()
    async with env.uows() as uow:
        endpoint = (await _endpoint(uow, principal, cmd.endpoint_id)).rotated(env.clock.now())
        await uow.webhooks.update(endpoint)
        await uow.commit()
    return endpoint


async def enable_endpoint(cmd: EnableEndpoint, env: Env, principal: Principal) -> WebhookEndpoint:
    """Turn a disabled endpoint back on; what was held while it was off goes out."""
    principal.require_operator()
    now = env.clock.now()
    async with env.uows() as uow:
        endpoint = (await _endpoint(uow, principal, cmd.endpoint_id)).enabled_again(now)
        await uow.webhooks.update(endpoint)
        await uow.webhooks.release_held(principal.workspace_id, cmd.endpoint_id, now)
        await uow.commit()
    return endpoint


async def list_deliveries(
    cmd: ListDeliveries, env: Env, principal: Principal
) -> Page[WebhookDelivery]:
    principal.require_operator()
    async with env.uows(write=False) as uow:
        await _endpoint(uow, principal, cmd.endpoint_id)
        return await uow.webhooks.deliveries(
            principal.workspace_id, cmd.endpoint_id, after=cmd.after, limit=cmd.limit
        )


async def retry_delivery(cmd: RetryDelivery, env: Env, principal: Principal) -> WebhookDelivery:
    principal.require_operator()
    async with env.uows() as uow:
        await _endpoint(uow, principal, cmd.endpoint_id)
        delivery = await uow.webhooks.retry(
            principal.workspace_id, cmd.endpoint_id, cmd.delivery_id, env.clock.now()
        )
        if delivery is None:
            raise NotFound("delivery", cmd.delivery_id)
        await uow.commit()
    return delivery


async def _endpoint(
    uow: UnitOfWork, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await uow.webhooks.get(principal.workspace_id, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint", endpoint_id)
    return endpoint
