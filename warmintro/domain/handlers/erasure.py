"""A person leaves: erasure, and the export of everything held about them."""

from __future__ import annotations

import uuid

from warmintro.domain.access import Principal
from warmintro.domain.commands import ErasePerson, ExportPerson, PersonExport
from warmintro.domain.events import EventType
from warmintro.domain.handlers.effects import save_and_enqueue
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import visible_person
from warmintro.domain.handlers.moving_on import move_on_from
from warmintro.domain.intro_request import IntroRequest, Role, State
from warmintro.domain.ports import UnitOfWork, WebhookMessage
from warmintro.domain.views import EventView, project, timeline, viewer_of
from warmintro.domain.webhooks import payload

_PAGE = 100


async def erase_person(cmd: ErasePerson, env: Env, principal: Principal) -> None:
    """Erasure. Requests waiting on the person move on as if their email bounced, and
    their own open asks are withdrawn; then their name, email, bio and the text they
    wrote are removed everywhere. Timelines keep their events under the opaque id,
    and integrations get `person.erased` to erase their copies."""
    now = env.clock.now()
    ws = principal.workspace
    async with env.uows() as uow:
        person = await visible_person(uow, principal, cmd.person_id)
        principal.require_self_or_operator(person.id)
        await move_on_from(uow, ws, person.id, now)
        for state in (State.AWAITING_CONNECTOR, State.AWAITING_EXPERT):
            for request in await _all_requests(uow, ws.id, person.id, Role.ASKER, state):
                if request.cancel(person.id, now):
                    await save_and_enqueue(uow, request, now)
        email = person.email
        await uow.people.update(person.erased(now))
        await uow.people.erase_traces(ws.id, person.id, email)
        await uow.connections.remove_all_of(ws.id, person.id)
        await uow.requests.scrub_person(ws.id, person.id)
        erased = WebhookMessage(
            event_id=None,
            event_type=EventType.PERSON_ERASED,
            payload=payload(EventType.PERSON_ERASED, now, {"id": str(person.id)}),
        )
        await uow.webhooks.enqueue(ws.id, [erased], now)
        await uow.commit()


async def export_person(cmd: ExportPerson, env: Env, principal: Principal) -> PersonExport:
    """Everything held about a person, as they (or the workspace) may see it: their
    requests through their own eyes, and the events they caused."""
    ws = principal.workspace_id
    async with env.uows(write=False) as uow:
        person = await visible_person(uow, principal, cmd.person_id)
        principal.require_self_or_operator(person.id)
        connections = await uow.connections.all_of(ws, person.id)
        known_by = await uow.connections.all_to(ws, person.id)
        requests = await _all_requests(uow, ws, person.id, None, None)
        caused: list[EventView] = []
        views = []
        for request in requests:
            viewer = viewer_of(request, person.id)
            assert viewer is not None  # the search returns only requests they are party to
            views.append(project(request, viewer))
            events = await uow.requests.events(ws, request.id)
            caused += [e for e in timeline(events, request, viewer) if e.actor_id == person.id]
    return PersonExport(person, connections, known_by, views, caused)


async def _all_requests(
    uow: UnitOfWork,
    workspace_id: uuid.UUID,
    person_id: uuid.UUID,
    role: Role | None,
    state: State | None,
) -> list[IntroRequest]:
    found: list[IntroRequest] = []
    after: uuid.UUID | None = None
    while True:
        page = await uow.requests.search(
            workspace_id, person_id=person_id, role=role, state=state, after=after, limit=_PAGE
        )
        found.extend(page.items)
        if not isinstance(page.next_after, uuid.UUID):
            return found
        after = page.next_after
