"""What a change sends: emails and webhooks, queued in the change's own transaction."""

from __future__ import annotations

from datetime import datetime

from warmintro.domain.budgets import can_ask
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.notifications import EmailIntent, emails_for
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
    intents = await _to_people_who_can_be_asked(uow, request, intents, now)
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


async def _to_people_who_can_be_asked(
    uow: UnitOfWork, request: IntroRequest, intents: list[EmailIntent], now: datetime
) -> list[EmailIntent]:
    """Leave out the emails that would ask someone who cannot be asked now (opted
    out, bounced, snoozed, at their budget): the consent ask or the forwarded ask
    to someone known whom a connector named by email, its reminder, the notice that
    it was withdrawn. The request goes on as if they kept silent, so what everyone
    else sees is what a silent person causes; and a snooze or a full budget holds
    back a reminder as it holds back an ask."""
    asking = [i for i in intents if i.asks is not None]
    if not asking:
        return intents
    workspace = await uow.workspaces.get(request.workspace_id)
    people = await uow.people.get_many(request.workspace_id, {i.recipient_id for i in asking})
    withheld = set()
    for intent in asking:
        person, role = people.get(intent.recipient_id), intent.asks
        assert role is not None
        # This request counts in their load while it waits on them: count it once.
        holding = 1 if request.awaiting(intent.recipient_id) is role else 0
        if (
            workspace is None
            or person is None
            or not await can_ask(uow, workspace, person, role, now, holding=holding)
        ):
            withheld.add(intent)
    return [i for i in intents if i not in withheld]
