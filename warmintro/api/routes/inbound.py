"""Events posted back by the email provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from warmintro.api.deps import ContainerDep
from warmintro.api.routes import PROBLEMS
from warmintro.domain.commands import RecordProviderEvents

router = APIRouter(prefix="/v1/inbound", tags=["inbound"], responses=PROBLEMS)


class Received(BaseModel):
    received: int
    """Events in the batch."""
    new: int
    """Events acted on for the first time."""
    skipped: int = 0
    """Events with odd or missing values, logged and not acted on; the batch still
    answers 200 so SendGrid does not resend it."""


@router.post("/sendgrid/events", response_model=Received)
async def receive_sendgrid_events(
    request: Request,
    c: ContainerDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Timestamp")] = None,
) -> Received:
    """SendGrid's signed Event Webhook (no API key: the ECDSA signature is the credential).
    Bounces, drops and spam reports stop mail to the address and move requests waiting
    on that person along; deliveries and opens are noted. Each `sg_event_id` counts once.
    An event with odd values (a timestamp out of range, a missing field, an unknown
    type) is skipped and counted in `skipped`; the rest of the batch is processed."""
    batch = c.sendgrid_events.read(await request.body(), signature, timestamp)
    new = await c.use_cases(RecordProviderEvents(batch.events))
    return Received(received=batch.received, new=new, skipped=batch.skipped)
