"""Moving a request on: to the next fallback connector, or away from someone who can
no longer be asked."""

from __future__ import annotations

import uuid
from datetime import datetime

from warmintro.domain.budgets import can_ask
from warmintro.domain.handlers.effects import save_and_enqueue
from warmintro.domain.intro_request import IntroRequest, Role, State, topic_key
from warmintro.domain.people import Workspace
from warmintro.domain.ports import UnitOfWork


async def available_fallbacks(
    uow: UnitOfWork, workspace: Workspace, request: IntroRequest, now: datetime
) -> frozenset[uuid.UUID]:
    """Fallback connectors who could take the ask now: within budget, reachable, and
    not already holding an open ask from this asker on this topic."""
    candidates = [c for c in request.fallback_connector_ids if c not in request.parties()]
    if not candidates or request.state is not State.AWAITING_CONNECTOR:
        return frozenset()
    await uow.people.lock(workspace.id, candidates)
    people = await uow.people.get_many(workspace.id, set(candidates))
    key = topic_key(request.topic)
    available = set()
    for candidate in candidates:
        person = people.get(candidate)
        if (
            person
            and await can_ask(uow, workspace, person, Role.CONNECTOR, now)
            and await uow.requests.find_open(workspace.id, request.asker_id, candidate, key) is None
        ):
            available.add(candidate)
    return frozenset(available)


async def move_on_from(
    uow: UnitOfWork, workspace: Workspace, person_id: uuid.UUID, now: datetime
) -> None:
    """Requests waiting on someone who can no longer be asked (bounced, opted out,
    erased) move on now rather than wait out their deadlines."""
    for request_id in await uow.requests.waiting_on(workspace.id, person_id):
        request = await uow.requests.get(workspace.id, request_id)
        if request is None:
            continue
        available = (
            await available_fallbacks(uow, workspace, request, now)
            if request.awaiting(person_id) is Role.CONNECTOR
            else frozenset()
        )
        if request.party_unreachable(person_id, now, workspace.timing, available):
            await past_an_unreachable_connector(uow, workspace, request, now)
            await save_and_enqueue(uow, request, now)


async def past_an_unreachable_connector(
    uow: UnitOfWork, workspace: Workspace, request: IntroRequest, now: datetime
) -> None:
    """An ask that came back from an expert (a no, silence, a bounce) to a connector
    who meanwhile opted out, bounced or was erased moves on at once, to the next
    fallback or to expiry, as it would have had they become unreachable holding it."""
    if request.state is not State.AWAITING_CONNECTOR:
        return
    connector = await uow.people.get(workspace.id, request.connector_id)
    if connector is None or connector.reachable():
        return
    available = await available_fallbacks(uow, workspace, request, now)
    request.party_unreachable(request.connector_id, now, workspace.timing, available)
