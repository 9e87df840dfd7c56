"""Intro request use cases: open an ask, take decisions, read views and timelines."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from warmintro.domain.access import Principal
from warmintro.domain.budgets import can_ask, ensure_can_ask
from warmintro.domain.errors import (
    ConcurrentUpdate,
    DuplicateRequest,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownPerson,
    WrongState,
)
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    DeclineReason,
    Event,
    IntroRequest,
    Rating,
    Role,
    State,
    topic_key,
)
from warmintro.domain.notifications import emails_for
from warmintro.domain.people import (
    Connection,
    Person,
    Workspace,
    normalize_email,
    require_one_line,
)
from warmintro.domain.ports import Clock, Page, UnitOfWork, WebhookMessage
from warmintro.domain.views import Viewer, event_visible, viewer_of
from warmintro.domain.webhooks import payload as webhook_payload


@dataclass(frozen=True, slots=True)
class Seen:
    """A request as one viewer may see it."""

    request: IntroRequest
    viewer: Viewer


@dataclass(frozen=True, slots=True)
class SeenEvent:
    event: Event
    data: dict[str, object]


@dataclass(frozen=True, slots=True)
class CreateIntroRequest:
    asker_id: uuid.UUID | None
    connector_id: uuid.UUID
    topic: str
    message: str
    target_id: uuid.UUID | None = None
    fallback_connector_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class NewExpert:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Propose:
    request_id: uuid.UUID
    expert_id: uuid.UUID | None = None
    expert: NewExpert | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    person: Person
    strength: int
    score: float
    matched: tuple[str, ...] = field(default=())


async def create_intro_request(
    cmd: CreateIntroRequest, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Seen:
    """Open an ask. Checks, in one transaction: the parties exist, the connector's
    budget, and that no open ask exists for the same asker, connector and topic."""
    asker_id = cmd.asker_id or principal.person_id
    if asker_id is None:
        raise InvalidInput("asker_id is required", field="asker_id")
    if not principal.operator and asker_id != principal.person_id:
        raise NotPermitted("a member token may only ask for its own person")
    workspace, now = principal.workspace, clock.now()
    request = IntroRequest.open_new(
        workspace_id=workspace.id,
        asker_id=asker_id,
        connector_id=cmd.connector_id,
        topic=cmd.topic,
        message=cmd.message,
        now=now,
        timing=workspace.timing,
        target_id=cmd.target_id,
        fallback_connector_ids=cmd.fallback_connector_ids,
    )
    async with uow:
        await uow.people.lock(workspace.id, [cmd.connector_id])
        wanted = {asker_id, cmd.connector_id, *cmd.fallback_connector_ids}
        if cmd.target_id:
            wanted.add(cmd.target_id)
        people = await uow.people.get_many(workspace.id, wanted)
        for name, ident in (
            ("asker_id", asker_id),
            ("connector_id", cmd.connector_id),
            ("target_id", cmd.target_id),
        ):
            _require_known(people, ident, name)
        for ident in cmd.fallback_connector_ids:
            _require_known(people, ident, "fallback_connector_ids")
        existing = await uow.requests.find_open(
            workspace.id, asker_id, cmd.connector_id, topic_key(request.topic)
        )
        if existing is not None:
            raise DuplicateRequest(
                "an open request for this topic to this connector exists", existing_id=str(existing)
            )
        await ensure_can_ask(uow, workspace, people[cmd.connector_id], Role.CONNECTOR, now)
        await uow.requests.add(request)
        await enqueue_effects(uow, request, now)
        await uow.commit()
    viewer = viewer_of(request, principal.person_id) if principal.person_id else Viewer(None, None)
    return Seen(request, viewer or Viewer(asker_id, Role.ASKER))


async def get_intro_request(request_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> Seen:
    async with uow:
        request, viewer = await _visible(uow, principal, request_id)
    return Seen(request, viewer)


async def list_intro_requests(
    uow: UnitOfWork,
    principal: Principal,
    *,
    role: Role | None,
    state: State | None,
    after: uuid.UUID | None,
    limit: int,
) -> Page[Seen]:
    """A member sees only requests they are a party to; an API key sees the workspace,
    or one person's requests with X-On-Behalf-Of."""
    person = principal.person_id
    if role is not None and person is None:
        raise InvalidInput("filtering by role needs X-On-Behalf-Of", field="role")
    async with uow:
        page = await uow.requests.search(
            principal.workspace_id,
            person_id=person,
            role=role,
            state=state,
            after=after,
            limit=limit,
        )
    seen = []
    for request in page.items:
        viewer = viewer_of(request, person)
        if viewer is not None:
            seen.append(Seen(request, viewer))
    return Page(seen, page.next_after)


async def list_events(
    request_id: uuid.UUID,
    uow: UnitOfWork,
    principal: Principal,
    *,
    after_seq: int | None = None,
    limit: int = 100,
) -> Page[SeenEvent]:
    """The timeline oldest first, as this viewer may see it. A request's timeline is
    short (one event per decision), so it is read whole and filtered here."""
    async with uow:
        request, viewer = await _visible(uow, principal, request_id)
        events = await uow.requests.events(principal.workspace_id, request.id)
    out: list[SeenEvent] = []
    last_seq = None
    for event in events:
        if after_seq is not None and event.seq <= after_seq:
            continue
        if len(out) == limit:
            return Page(out, last_seq)
        data = event_visible(event, request, viewer)
        last_seq = event.seq
        if data is not None:
            out.append(SeenEvent(event, data))
    return Page(out, None)


async def propose(cmd: Propose, uow: UnitOfWork, clock: Clock, principal: Principal) -> Seen:
    """The connector names an expert (known, or new by email); the expert is asked first."""
    if (cmd.expert_id is None) == (cmd.expert is None):
        raise InvalidInput("give exactly one of expert_id or expert", field="expert_id")

    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        actor = principal.actor()
        expert = await _expert_for(uow, workspace, cmd, actor, request, now)
        # Budgets are checked only for a proposal that will happen: anyone else learns
        # nothing of the expert's preferences, only that it is not theirs to propose.
        if (
            request.expert_id == expert.id
            or request.state is not State.AWAITING_CONNECTOR
            or actor != request.connector_id
        ):
            return request.propose(actor, expert.id, cmd.note, now, workspace.timing)
        await uow.people.lock(workspace.id, [expert.id])
        await ensure_can_ask(uow, workspace, expert, Role.EXPERT, now)
        return request.propose(actor, expert.id, cmd.note, now, workspace.timing)

    return await _decide(uow, clock, principal, cmd.request_id, apply)


async def forward(
    request_id: uuid.UUID,
    connector_id: uuid.UUID,
    note: str,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
) -> Seen:
    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        actor = principal.actor()
        if request.connector_id == connector_id and (actor, connector_id) in request.forwards:
            return request.forward(actor, connector_id, note, now, workspace.timing)
        people = await uow.people.get_many(workspace.id, {connector_id})
        _require_known(people, connector_id, "connector_id")
        if (
            request.state is State.AWAITING_CONNECTOR
            and actor == request.connector_id
            and connector_id not in request.parties()
        ):
            await uow.people.lock(workspace.id, [connector_id])
            await ensure_can_ask(uow, workspace, people[connector_id], Role.CONNECTOR, now)
            existing = await uow.requests.find_open(
                workspace.id, request.asker_id, connector_id, topic_key(request.topic)
            )
            if existing is not None:
                raise DuplicateRequest(
                    "the asker already has an open request for this topic with that connector"
                )
        return request.forward(actor, connector_id, note, now, workspace.timing)

    return await _decide(uow, clock, principal, request_id, apply)


async def decline(
    request_id: uuid.UUID,
    reason: DeclineReason,
    note: str,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
) -> Seen:
    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        actor = principal.actor()
        available = (
            await available_fallbacks(uow, workspace, request, now)
            if actor == request.connector_id
            else frozenset()
        )
        return request.decline(actor, reason, note, now, workspace.timing, available)

    return await _decide(uow, clock, principal, request_id, apply)


async def accept(
    request_id: uuid.UUID, note: str, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Seen:
    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        return request.accept(principal.actor(), note, now, workspace.timing)

    return await _decide(uow, clock, principal, request_id, apply)


async def cancel(
    request_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Seen:
    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        return request.cancel(principal.actor(), now)

    return await _decide(uow, clock, principal, request_id, apply)


async def give_feedback(
    request_id: uuid.UUID,
    rating: Rating,
    note: str,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
) -> Seen:
    async def apply(request: IntroRequest, workspace: Workspace, now: datetime) -> bool:
        return request.record_feedback(principal.actor(), rating, note, now)

    return await _decide(uow, clock, principal, request_id, apply)


async def suggest_experts(
    request_id: uuid.UUID, uow: UnitOfWork, clock: Clock, principal: Principal, *, limit: int = 10
) -> list[Suggestion]:
    """People the current connector knows whose expertise or headline matches the topic,
    strongest match first; never the request's own parties or anyone unreachable."""
    now = clock.now()
    async with uow:
        request, viewer = await _visible(uow, principal, request_id)
        if viewer.role is not None and viewer.person_id != request.connector_id:
            raise NotPermitted("only the current connector sees suggestions")
        connections = await uow.connections.all_of(principal.workspace_id, request.connector_id)
        people = await uow.people.get_many(
            principal.workspace_id, {c.other_id for c in connections}
        )
    return rank_suggestions(request, connections, people, now, limit)


def rank_suggestions(
    request: IntroRequest,
    connections: list[Connection],
    people: dict[uuid.UUID, Person],
    now: datetime,
    limit: int,
) -> list[Suggestion]:
    """Rank the connector's connections for this request: expertise tags found in the
    topic or blurb weigh most, then headline words in the topic, then closeness."""
    words = set(_words(f"{request.topic} {request.message}"))
    topic_words = set(_words(request.topic))
    parties = request.parties()
    out = []
    for connection in connections:
        person = people.get(connection.other_id)
        if person is None or person.id in parties or not person.reachable() or person.snoozed(now):
            continue
        matched = tuple(
            t for t in person.expertise if set(_words(t)) & words or t in request.topic.casefold()
        )
        headline_hits = len(set(_words(person.headline)) & topic_words)
        if not matched and not headline_hits:
            continue
        score = 3.0 * len(matched) + 1.0 * headline_hits + 0.5 * connection.strength
        out.append(Suggestion(person, connection.strength, score, matched))
    out.sort(key=lambda s: (-s.score, s.person.name.casefold()))
    return out[:limit]


# ---- shared steps -------------------------------------------------------

_STOPWORDS = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "for",
    "to",
    "in",
    "on",
    "with",
    "about",
    "how",
    "i",
    "we",
    "my",
    "our",
    "is",
    "are",
    "be",
    "at",
    "or",
    "by",
    "from",
    "who",
}


def _words(text: str) -> list[str]:
    return [
        w for w in re.findall(r"[\w+#.-]+", text.casefold()) if w not in _STOPWORDS and len(w) > 1
    ]


_DECIDE_ATTEMPTS = 3


async def _decide(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    apply: Callable[[IntroRequest, Workspace, datetime], Awaitable[bool]],
) -> Seen:
    """Load, let the aggregate decide, save with an optimistic version check, enqueue.

    When someone else saved first, the decision is taken again on the fresh state:
    a repeat of theirs (a double click) then succeeds as a no-op, and a conflicting
    one fails with the state that now stands. Only a request that keeps changing
    under us ends in ConcurrentUpdate.
    """
    actor = principal.actor()
    now = clock.now()
    attempt = 1
    while True:
        try:
            request = await _decide_once(uow, principal, actor, request_id, now, apply)
            break
        except ConcurrentUpdate:
            if attempt == _DECIDE_ATTEMPTS:
                raise
            attempt += 1
    viewer = viewer_of(request, actor)
    assert viewer is not None
    return Seen(request, viewer)


async def _decide_once(
    uow: UnitOfWork,
    principal: Principal,
    actor: uuid.UUID,
    request_id: uuid.UUID,
    now: datetime,
    apply: Callable[[IntroRequest, Workspace, datetime], Awaitable[bool]],
) -> IntroRequest:
    async with uow:
        request = await uow.requests.get(principal.workspace_id, request_id)
        if request is None or request.role_of(actor) is None:
            raise NotFound("intro request", request_id)
        if await apply(request, principal.workspace, now):
            await uow.requests.save(request)
            await enqueue_effects(uow, request, now)
            await uow.commit()
    return request


async def enqueue_effects(uow: UnitOfWork, request: IntroRequest, now: datetime) -> None:
    """Queue, in the change's own transaction, the emails its events send and one
    webhook message per event."""
    intents = [intent for event in request.events for intent in emails_for(event, request)]
    if intents:
        await uow.outbox.add_emails(request.workspace_id, intents, now)
    messages = [
        WebhookMessage(
            event_id=event.id,
            event_type=event.type,
            payload=webhook_payload(
                event.type,
                event.occurred_at,
                {
                    "id": str(request.id),
                    "event_id": str(event.id),
                    "actor_id": str(event.actor_id) if event.actor_id else None,
                    **event.data,
                },
            ),
        )
        for event in request.events
    ]
    await uow.webhooks.enqueue(request.workspace_id, messages, now)
    request.events.clear()


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
            if request.connector_id == person_id
            else frozenset()
        )
        if request.party_unreachable(person_id, now, workspace.timing, available):
            await uow.requests.save(request)
            await enqueue_effects(uow, request, now)


async def _visible(
    uow: UnitOfWork, principal: Principal, request_id: uuid.UUID
) -> tuple[IntroRequest, Viewer]:
    request = await uow.requests.get(principal.workspace_id, request_id)
    viewer = viewer_of(request, principal.person_id) if request else None
    if request is None or viewer is None:
        raise NotFound("intro request", request_id)
    return request, viewer


async def _expert_for(
    uow: UnitOfWork,
    workspace: Workspace,
    cmd: Propose,
    actor: uuid.UUID,
    request: IntroRequest,
    now: datetime,
) -> Person:
    """The named expert: an existing person, or someone new the connector names by email."""
    if cmd.expert_id is not None:
        people = await uow.people.get_many(workspace.id, {cmd.expert_id})
        _require_known(people, cmd.expert_id, "expert_id")
        return people[cmd.expert_id]
    assert cmd.expert is not None
    email = normalize_email(cmd.expert.email)
    found = await uow.people.get_by_email(workspace.id, email)
    if found is not None:
        if found.erased_at is not None:
            raise InvalidInput("this person cannot be asked", field="expert")
        return found
    # Only a proposal that will happen may create a person.
    if request.state is not State.AWAITING_CONNECTOR:
        raise WrongState("propose an expert for", request.state)
    if actor != request.connector_id:
        raise NotPermitted("only the current connector may propose")
    require_one_line(cmd.expert.name, "name")
    person = Person(
        id=new_id(),
        workspace_id=workspace.id,
        email=email,
        name=cmd.expert.name.strip(),
        created_at=now,
        updated_at=now,
    )
    await uow.people.add(person)
    return person


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


def _require_known(people: dict[uuid.UUID, Person], ident: uuid.UUID | None, name: str) -> None:
    if ident is None:
        return
    person = people.get(ident)
    if person is None or person.erased_at is not None:
        raise UnknownPerson(f"{name}: no such person in this workspace", field=name)
