"""Managing webhook endpoints (API keys only) and their delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from warmintro.domain.access import Principal
from warmintro.domain.errors import NotFound
from warmintro.domain.ids import new_id
from warmintro.domain.ports import Clock, Page, UnitOfWork, WebhookDelivery
from warmintro.domain.webhooks import WebhookEndpoint, check_url, new_secret

UrlCheck = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class CreateEndpoint:
    url: str
    event_types: tuple[str, ...] = ()
    description: str = ""


async def create_endpoint(
    cmd: CreateEndpoint,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    allow_http_loopback: bool,
    check_address: UrlCheck,
) -> WebhookEndpoint:
    """Register a URL. Its signing secret is in the result, and shown only this once."""
    principal.require_operator()
    url = check_url(cmd.url, allow_http_loopback=allow_http_loopback)
    await check_address(url)
    now = clock.now()
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
    async with uow:
        await uow.webhooks.add(endpoint)
        await uow.commit()
    return endpoint


async def get_endpoint(
    endpoint_id: uuid.UUID, uow: UnitOfWork, principal: Principal
) -> WebhookEndpoint:
    principal.require_operator()
    async with uow:
        return await _endpoint(uow, principal, endpoint_id)


async def list_endpoints(
    uow: UnitOfWork, principal: Principal, *, after: uuid.UUID | None, limit: int
) -> Page[WebhookEndpoint]:
    principal.require_operator()
    async with uow:
        return await uow.webhooks.page(principal.workspace_id, after=after, limit=limit)


async def delete_endpoint(
    endpoint_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal
) -> None:
    principal.require_operator()
    async with uow:
        await _endpoint(uow, principal, endpoint_id)
        await uow.webhooks.delete(principal.workspace_id, endpoint_id, clock.now())
        await uow.commit()


async def rotate_secret(
    endpoint_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal
) -> WebhookEndpoint:
    """A new secret, shown once; for 24 hours deliveries carry both signatures."""
    principal.require_operator()
    async with uow:
        endpoint = (await _endpoint(uow, principal, endpoint_id)).rotated(clock.now())
        await uow.webhooks.update(endpoint)
        await uow.commit()
    return endpoint


async def enable_endpoint(
    endpoint_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal
) -> WebhookEndpoint:
    """Turn a disabled endpoint back on; what was held while it was off goes out."""
    principal.require_operator()
    now = clock.now()
    async with uow:
        endpoint = (await _endpoint(uow, principal, endpoint_id)).enabled_again(now)
        await uow.webhooks.update(endpoint)
        await uow.webhooks.release_held(principal.workspace_id, endpoint_id, now)
        await uow.commit()
    return endpoint


async def list_deliveries(
    endpoint_id: uuid.UUID,
    uow: UnitOfWork,
    principal: Principal,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Page[WebhookDelivery]:
    principal.require_operator()
    async with uow:
        await _endpoint(uow, principal, endpoint_id)
        return await uow.webhooks.deliveries(
            principal.workspace_id, endpoint_id, after=after, limit=limit
        )


async def retry_delivery(
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
) -> WebhookDelivery:
    principal.require_operator()
    async with uow:
        await _endpoint(uow, principal, endpoint_id)
        delivery = await uow.webhooks.retry(
            principal.workspace_id, endpoint_id, delivery_id, clock.now()
        )
        if delivery is None:
            raise NotFound("delivery", delivery_id)
        await uow.commit()
    return delivery


async def _endpoint(
    uow: UnitOfWork, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await uow.webhooks.get(principal.workspace_id, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint", endpoint_id)
    return endpoint
