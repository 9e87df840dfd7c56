"""Webhook endpoints and their delivery log (API keys only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from warmintro.api.deps import (
    ContainerDep,
    IdempotencyDep,
    PageDep,
    PrincipalDep,
    ReadUowDep,
    UowDep,
    encode_cursor,
)
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import Page, WebhookDeliveryOut, WebhookEndpointIn, WebhookEndpointOut
from warmintro.domain.handlers import webhooks as h

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], responses=PROBLEMS)


@router.post("", status_code=201, response_model=WebhookEndpointOut)
async def create_endpoint(
    body: WebhookEndpointIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> WebhookEndpointOut | JSONResponse:
    """Register a URL for lifecycle events. The response carries the signing secret,
    shown this once. Deliveries follow the Standard Webhooks spec."""

    async def run() -> WebhookEndpointOut:
        cmd = h.CreateEndpoint(
            url=body.url, event_types=tuple(body.event_types), description=body.description
        )
        endpoint = await h.create_endpoint(
            cmd,
            uow,
            c.clock,
            principal,
            allow_http_loopback=c.settings.is_development,
            check_address=c.url_guard.check,
        )
        return WebhookEndpointOut.of(endpoint, with_secret=True)

    return await idem.run(run, 201)


@router.get("", response_model=Page[WebhookEndpointOut])
async def list_endpoints(
    principal: PrincipalDep, uow: ReadUowDep, page: PageDep
) -> Page[WebhookEndpointOut]:
    result = await h.list_endpoints(uow, principal, after=page.after, limit=page.limit)
    return Page(
        items=[WebhookEndpointOut.of(e) for e in result.items],
        next_cursor=encode_cursor(result.next_after),
    )


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
async def get_endpoint(
    endpoint_id: uuid.UUID, principal: PrincipalDep, uow: ReadUowDep
) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(await h.get_endpoint(endpoint_id, uow, principal))


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
async def delete_endpoint(
    endpoint_id: uuid.UUID, principal: PrincipalDep, uow: UowDep, c: ContainerDep
) -> Response:
    """Stop sending to this endpoint; its delivery log is kept."""
    await h.delete_endpoint(endpoint_id, uow, c.clock, principal)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointOut)
async def rotate_secret(
    endpoint_id: uuid.UUID, principal: PrincipalDep, uow: UowDep, c: ContainerDep
) -> WebhookEndpointOut:
    """A new secret, shown once. For 24 hours every delivery is signed with both."""
    endpoint = await h.rotate_secret(endpoint_id, uow, c.clock, principal)
    return WebhookEndpointOut.of(endpoint, with_secret=True)


@router.post("/{endpoint_id}/enable", response_model=WebhookEndpointOut)
async def enable_endpoint(
    endpoint_id: uuid.UUID, principal: PrincipalDep, uow: UowDep, c: ContainerDep
) -> WebhookEndpointOut:
    """Turn a disabled endpoint (after a 410 or failed retries) back on. Events that
    happened while it was off were held, not dropped, and now go out in order."""
    return WebhookEndpointOut.of(await h.enable_endpoint(endpoint_id, uow, c.clock, principal))


@router.get("/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryOut])
async def list_deliveries(
    endpoint_id: uuid.UUID, principal: PrincipalDep, uow: ReadUowDep, page: PageDep
) -> Page[WebhookDeliveryOut]:
    """Newest first, each with every attempt: status, duration, the start of the response."""
    result = await h.list_deliveries(
        endpoint_id, uow, principal, after=page.after, limit=page.limit
    )
    return Page(
        items=[WebhookDeliveryOut.of(d) for d in result.items],
        next_cursor=encode_cursor(result.next_after),
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry", response_model=WebhookDeliveryOut)
async def retry_delivery(
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
) -> WebhookDeliveryOut:
    """Send this delivery again now, with the same webhook-id."""
    delivery = await h.retry_delivery(endpoint_id, delivery_id, uow, c.clock, principal)
    return WebhookDeliveryOut.of(delivery)
