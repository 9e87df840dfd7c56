"""A person leaves: erasure, and the export of everything held about them."""

from __future__ import annotations

import uuid
from typing import Any

from warmintro.domain.access import Principal
from warmintro.domain.handlers.intro_requests import enqueue_effects, move_on_from
from warmintro.domain.handlers.people import visible_person
from warmintro.domain.intro_request import Role, State
from warmintro.domain.ports import Clock, UnitOfWork, WebhookMessage
from warmintro.domain.views import viewer_of
from warmintro.domain.webhooks import payload


async def erase_person(
    person_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal
) -> None:
    """Erasure. Requests waiting on the person move on as if their email bounced, and
    their own open asks are withdrawn; then their name, email, bio and the text they
    wrote are removed everywhere. Timelines keep their events under the opaque id,
    and integrations get `person.erased` to erase their copies."""
    now = clock.now()
    ws = principal.workspace
    async with uow:
        person = await visible_person(uow, principal, person_id)
        principal.require_self_or_operator(person.id)
        await move_on_from(uow, ws, person.id, now)
        for state in (State.AWAITING_CONNECTOR, State.AWAITING_EXPERT):
            page = await uow.requests.search(
                ws.id, person_id=person.id, role=Role.ASKER, state=state, after=None, limit=1000
            )
            for request in page.items:
                if request.cancel(person.id, now):
                    await uow.requests.save(request)
                    await enqueue_effects(uow, request, now)
        email = person.email
        await uow.people.update(person.erased(now))
        await uow.people.erase_traces(ws.id, person.id, email)
        await uow.connections.remove_all_of(ws.id, person.id)
        await uow.requests.scrub_person(ws.id, person.id)
        await uow.webhooks.enqueue(
            ws.id,
            [
                WebhookMessage(
                    event_id=None,
                    event_type="person.erased",
                    payload=payload("person.erased", now, {"id": str(person.id)}),
                )
            ],
            now,
        )
        await uow.commit()


async def export_person(
    person_id: uuid.UUID, uow: UnitOfWork, principal: Principal
) -> dict[str, Any]:
    """Everything held about a person, as they (or the workspace) may see it."""
    async with uow:
        person = await visible_person(uow, principal, person_id)
        principal.require_self_or_operator(person.id)
        connections = await uow.connections.all_of(principal.workspace_id, person.id)
        known_by = await uow.connections.all_to(principal.workspace_id, person.id)
        requests = []
        after: uuid.UUID | None = None
        while True:
            page = await uow.requests.search(
                principal.workspace_id,
                person_id=person.id,
                role=None,
                state=None,
                after=after,
                limit=100,
            )
            requests.extend(page.items)
            if page.next_after is None:
                break
            after = page.next_after if isinstance(page.next_after, uuid.UUID) else None
        timelines = {
            r.id: await uow.requests.events(principal.workspace_id, r.id) for r in requests
        }
    return {
        "person": person,
        "connections": connections,
        "known_by": known_by,
        "requests": [(r, viewer_of(r, person.id)) for r in requests],
        "events": [e for events in timelines.values() for e in events if e.actor_id == person.id],
    }
