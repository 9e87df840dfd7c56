"""The parties' decisions on a request: propose, forward, decline, accept, cancel, feedback.

The aggregate decides; this module loads what it needs to (the expert or the new
connector, budgets, fallbacks), saves with an optimistic version check and
queues what the change sends, all in one transaction. The JSON API and the email
links both come through `apply_decision`.

Whom a connector names by id, they already know: an expert or connector who cannot
be asked (opted out, bounced, snoozed, at their budget) is a clear 409 or 429 with
the reason. Whom they name by email gets the answer a new person gets, whether or
not the address is known: the proposal or forward is recorded, and someone known
who cannot be asked is simply not emailed (see `effects`), so the ask waits out
their deadline as for someone who keeps silent and then comes back to the
connector (`no_answer`) or moves on to the next connector. An expert named by
email is recorded with what the connector typed (`NamedAs`), and the connector
sees them only as that until they accept (`views`): no id to look up. So is a
connector named by email, whom the connectors before them never see by id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from warmintro.domain.access import Principal
from warmintro.domain.budgets import ensure_can_ask, ensure_can_ask_given
from warmintro.domain.commands import (
    Accept,
    Cancel,
    Decide,
    Decision,
    Decline,
    Forward,
    GiveFeedback,
    NewPerson,
    Propose,
)
from warmintro.domain.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    DuplicateRequest,
    NotFound,
    RecipientUnavailable,
)
from warmintro.domain.handlers.conflicts import retrying
from warmintro.domain.handlers.effects import save_and_enqueue
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import require_known
from warmintro.domain.handlers.moving_on import available_fallbacks, past_an_unreachable_connector
from warmintro.domain.handlers.people import with_valid_addresses
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest, NamedAs, Role, topic_key
from warmintro.domain.people import Person, Workspace, normalize_email, require_one_line
from warmintro.domain.ports import UnitOfWork
from warmintro.domain.views import RequestView, project, viewer_of


async def decide(cmd: Decide, env: Env, principal: Principal) -> RequestView:
    """Take the caller's decision; a request they are no party to is not found."""
    actor = principal.actor()
    now = env.clock.now()
    decision = with_valid_addresses(cmd.decision, env.email_addresses)

    async def attempt() -> IntroRequest:
        async with env.uows() as uow:
            request = await uow.requests.get(principal.workspace_id, cmd.request_id)
            if request is None or request.role_of(actor) is None:
                raise NotFound("intro request", cmd.request_id)
            if await apply_decision(uow, principal.workspace, request, actor, decision, now):
                await save_and_enqueue(uow, request, now)
                await uow.commit()
        return request

    request = await retrying(attempt)
    viewer = viewer_of(request, actor)
    assert viewer is not None  # a party before the decision stays one after it
    return project(request, viewer)


async def apply_decision(
    uow: UnitOfWork,
    workspace: Workspace,
    request: IntroRequest,
    actor: uuid.UUID,
    decision: Decision,
    now: datetime,
) -> bool:
    """Let the aggregate take the decision in `uow`'s transaction; True if it changed
    the request (the caller saves it), False for a repeat of a decision already taken."""
    timing = workspace.timing
    match decision:
        case Propose():
            return await _propose(uow, workspace, request, actor, decision, now)
        case Forward():
            return await _forward(uow, workspace, request, actor, decision, now)
        case Decline(reason=reason, note=note):
            # Only a connector's no that will happen looks for the next fallback.
            waiting = request.awaiting(actor)
            available = (
                await available_fallbacks(uow, workspace, request, now)
                if waiting is Role.CONNECTOR
                else frozenset()
            )
            if not request.decline(actor, reason, note, now, timing, available):
                return False
            if waiting is Role.EXPERT:  # the ask is back with the connector
                await past_an_unreachable_connector(uow, workspace, request, now)
            return True
        case Accept(note=note):
            return request.accept(actor, note, now, timing)
        case Cancel():
            return request.cancel(actor, now)
        case GiveFeedback(rating=rating, note=note):
            return request.record_feedback(actor, rating, note, now)


async def _propose(
    uow: UnitOfWork,
    workspace: Workspace,
    request: IntroRequest,
    actor: uuid.UUID,
    cmd: Propose,
    now: datetime,
) -> bool:
    expert = await _expert_for(uow, workspace, request, actor, cmd, now)
    # Budgets are checked only for a proposal that will happen: anyone else learns
    # nothing of the expert's preferences, only that it is not theirs to propose.
    if request.would_propose(actor, expert.id):
        await uow.people.lock(workspace.id, [expert.id])
        if cmd.expert_id is not None:
            await ensure_can_ask(uow, workspace, expert, Role.EXPERT, now)
    named_as = _as_typed(cmd.expert)
    return request.propose(actor, expert.id, cmd.note, now, workspace.timing, named_as)


def _as_typed(named: NewPerson | None) -> NamedAs | None:
    """What the connector typed, kept as the only way they see whom they named."""
    if named is None:
        return None
    return NamedAs(normalize_email(named.email), named.name.strip())


async def _expert_for(
    uow: UnitOfWork,
    workspace: Workspace,
    request: IntroRequest,
    actor: uuid.UUID,
    cmd: Propose,
    now: datetime,
) -> Person:
    """The named expert: an existing person, or someone new the connector names by email."""
    if cmd.expert_id is not None:
        people = await uow.people.get_many(workspace.id, {cmd.expert_id})
        require_known(people, cmd.expert_id, "expert_id")
        return people[cmd.expert_id]
    assert cmd.expert is not None
    # Only a proposal that will happen may create a person: would_propose raises
    # for the wrong state or person (a repeat cannot name someone who is new).
    return await _person_named(
        uow, workspace, cmd.expert, "expert", lambda new: request.would_propose(actor, new), now
    )


async def _connector_for(
    uow: UnitOfWork,
    workspace: Workspace,
    request: IntroRequest,
    actor: uuid.UUID,
    cmd: Forward,
    now: datetime,
) -> Person:
    """The named connector: an existing person, or someone new named by email. As for
    an expert, who is named must exist before anything else is said about it."""
    if cmd.connector_id is not None:
        people = await uow.people.get_many(workspace.id, {cmd.connector_id})
        require_known(people, cmd.connector_id, "connector_id")
        return people[cmd.connector_id]
    assert cmd.connector is not None
    return await _person_named(
        uow,
        workspace,
        cmd.connector,
        "connector",
        lambda new: request.would_forward(actor, new),
        now,
    )


async def _person_named(
    uow: UnitOfWork,
    workspace: Workspace,
    named: NewPerson,
    field: str,
    would_apply: Callable[[uuid.UUID], bool],
    now: datetime,
) -> Person:
    """Someone named by email: the person already known by it, else a new one, created
    only when the decision will happen (`would_apply` raises otherwise)."""
    email = normalize_email(named.email)
    found = await uow.people.get_by_email(workspace.id, email)
    if found is not None:
        if found.erased_at is not None:  # unreachable: erasure replaces the address
            raise RecipientUnavailable(f"this {field} cannot be asked", role=field)
        return found
    person_id = new_id()
    would_apply(person_id)
    require_one_line(named.name, "name")
    person = Person(
        id=person_id,
        workspace_id=workspace.id,
        email=email,
        name=named.name.strip(),
        created_at=now,
        updated_at=now,
    )
    try:
        await uow.people.add(person)
    except AlreadyExists:
        # Someone else added them since we looked (a double click on PostgreSQL, where
        # the checks do not serialise): take the decision again, and find them.
        raise ConcurrentUpdate("person") from None
    return person


async def _forward(
    uow: UnitOfWork,
    workspace: Workspace,
    request: IntroRequest,
    actor: uuid.UUID,
    cmd: Forward,
    now: datetime,
) -> bool:
    connector = await _connector_for(uow, workspace, request, actor, cmd, now)
    if request.would_forward(actor, connector.id):
        await uow.people.lock(workspace.id, [connector.id])
        existing, load = await uow.requests.find_open_with_load(
            workspace.id, request.asker_id, connector.id, topic_key(request.topic)
        )
        if cmd.connector_id is not None:
            ensure_can_ask_given(workspace, connector, Role.CONNECTOR, now, load)
        if existing is not None:
            raise DuplicateRequest(
                "the asker already has an open request for this topic with that connector"
            )
    named_as = _as_typed(cmd.connector)
    return request.forward(actor, connector.id, cmd.note, now, workspace.timing, named_as)
