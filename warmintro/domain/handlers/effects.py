"""What a change sends: emails and webhooks, queued in the change's own transaction."""

from __future__ import annotations

from datetime import datetime

from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.notifications import emails_for
from warmintro.domain.ports import UnitOfWork, WebhookMessage
from warmintro.domain.views import for_integrations
from warmintro.domain.webhooks import payload


async def save_and_enqueue(uow: UnitOfWork, request: IntroRequest, now: datetime) -> None:
    """Store a changed request and queue what its new events send."""
    await uow.requests.save(request)
    await enqueue_effects(uow, request, now)


async def enqueue_effects(uow: UnitOfWork, request: IntroRequest, now: datetime) -> None:
    """Queue the emails the request's pending events send and one webhook message per
    event, then clear them: the outbox has them now."""
    intents = [intent for event in request.events for intent in emails_for(event, request)]
    if intents:
        await uow.outbox.add_emails(request.workspace_id, intents, now)
    messages = [
        WebhookMessage(
            event_id=event.id,
            event_type=event.type,
            payload=payload(event.type, event.occurred_at, for_integrations(event)),
        )
        for event in request.events
    ]
    await uow.webhooks.enqueue(request.workspace_id, messages, now)
    request.events.clear()
