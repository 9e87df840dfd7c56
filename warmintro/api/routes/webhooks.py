"""Webhook endpoints and their delivery log (API keys only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from warmintro.api.deps import CallerDep, IdempotencyDep, PageDep, encode_cursor
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import Page, WebhookDeliveryOut, WebhookEndpointIn, WebhookEndpointOut
from warmintro.domain import commands as cmd
from warmintro.domain.webhooks import WebhookEndpoint

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], responses=PROBLEMS)


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(endpoint, with_secret=True)


@router.post("", status_code=201, response_model=WebhookEndpointOut)
async def create_webhook_endpoint(
    body: WebhookEndpointIn, idem: IdempotencyDep
) -> WebhookEndpointOut | JSONResponse:
    """Register a URL for lifecycle events. The response carries the signing secret,
    shown this once. Deliveries follow the Standard Webhooks spec."""
    create = cmd.CreateEndpoint(
        url=body.url,
        event_types=tuple(str(t) for t in body.event_types),
        description=body.description,
    )
    return await idem.run(create, _with_secret, 201)


@router.get("", response_model=Page[WebhookEndpointOut])
async def list_webhook_endpoints(caller: CallerDep, page: PageDep) -> Page[WebhookEndpointOut]:
    result = await caller(cmd.ListEndpoints(after=page.after, limit=page.limit))
    return Page(
        items=[WebhookEndpointOut.of(e) for e in result.items],
        next_cursor=encode_cursor(result.next_after),
    )


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
async def get_webhook_endpoint(endpoint_id: uuid.UUID, caller: CallerDep) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(await caller(cmd.GetEndpoint(endpoint_id)))


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
async def delete_webhook_endpoint(endpoint_id: uuid.UUID, caller: CallerDep) -> Response:
    """Stop sending to this endpoint; its delivery log is kept."""
    await caller(cmd.DeleteEndpoint(endpoint_id))
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointOut)
async def rotate_webhook_secret(endpoint_id: uuid.UUID, caller: CallerDep) -> WebhookEndpointOut:
    """A new secret, shown once. For 24 hours every delivery is signed with both."""
    return _with_secret(await caller(cmd.RotateSecret(endpoint_id)))


@router.post("/{endpoint_id}/enable", response_model=WebhookEndpointOut)
async def enable_webhook_endpoint(endpoint_id: uuid.UUID, caller: CallerDep) -> WebhookEndpointOut:
    """Turn a disabled endpoint (after a 410 or failed retries) back on. Events that
    happened while it was off were held, not dropped, and now go out in order."""
    return WebhookEndpointOut.of(await caller(cmd.EnableEndpoint(endpoint_id)))


@router.get("/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryOut])
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID, caller: CallerDep, page: PageDep
) -> Page[WebhookDeliveryOut]:
    """Newest first, each with every attempt: status, duration, the start of the response."""
    result = await caller(cmd.ListDeliveries(endpoint_id, after=page.after, limit=page.limit))
    return Page(
        items=[WebhookDeliveryOut.of(d) for d in result.items],
        next_cursor=encode_cursor(result.next_after),
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry", response_model=WebhookDeliveryOut)
async def retry_webhook_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, caller: CallerDep
) -> WebhookDeliveryOut:
    """Send this delivery again now, with the same webhook-id."""
    return WebhookDeliveryOut.of(await caller(cmd.RetryDelivery(endpoint_id, delivery_id)))
