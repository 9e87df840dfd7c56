"""Email links: what the page behind one shows, and taking its decision.

A link's decision and the mark that the link was used are one transaction, so a
crash leaves either both or neither: never a decided request with a live link,
nor a used link with nothing decided. The decision itself goes through the same
`apply_decision` as the JSON API.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from warmintro.domain.access import Principal
from warmintro.domain.action_links import (
    COUNTED_UP_TO,
    MAX_CANDIDATES,
    ActionClaims,
    ActionLink,
    Answered,
    Candidate,
    DecisionPage,
    LinkOutcome,
    LinkPage,
    NothingToDecide,
    Purpose,
    Someone,
    UnsubscribePage,
    token_hash,
)
from warmintro.domain.commands import (
    Resubscribe,
    ShowActionLink,
    Unsubscribe,
    UpdatePerson,
    UseActionLink,
)
from warmintro.domain.errors import (
    LinkAlreadyUsed,
    LinkExpired,
    MovedOn,
    NotFound,
    NotOffered,
    NotPermitted,
    TokenExpired,
    Unauthenticated,
)
from warmintro.domain.events import EventType
from warmintro.domain.handlers.asker_status import asker_status
from warmintro.domain.handlers.conflicts import retrying
from warmintro.domain.handlers.decisions import apply_decision
from warmintro.domain.handlers.effects import save_and_enqueue
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.people import update_in, with_valid_addresses
from warmintro.domain.intro_request import IntroRequest, NamedAs
from warmintro.domain.people import EmailStatus, Person, Workspace
from warmintro.domain.ports import UnitOfWork
from warmintro.domain.suggestions import rank_suggestions
from warmintro.domain.targets import asked_for_by_name, known_target, target_first, target_named_to
from warmintro.domain.views import (
    connector_as_named,
    expert_as_named,
    project,
    viewer_of,
    why_the_expert_said_no,
)

SUGGESTED_ON_PAGE = 5
MAX_QUERY = 200


async def show_action_link(cmd: ShowActionLink, env: Env) -> LinkPage:
    """What the link is for now. Changes nothing: mail scanners fetch every link."""
    claims = _verify(env, cmd.token)
    async with env.uows(write=False) as uow:
        link = await _issued(uow, claims, cmd.token)
        ws, person_id = claims.workspace_id, claims.person_id
        workspace = await uow.workspaces.get(ws)
        if workspace is None:
            raise NotFound("link")
        if link.purpose is Purpose.UNSUBSCRIBE:
            person = await uow.people.get(ws, person_id)
            if person is None or person.erased_at is not None:
                raise NotFound("link")
            return UnsubscribePage(
                person.email, workspace.name, unsubscribed=person.preferences.never_contact
            )
        if link.purpose.shows_status:
            return await asker_status(uow, await _request(uow, claims), link)
        if link.used_action:
            return Answered(link.used_action, workspace.name)
        request = await _request(uow, claims)
        actions = request.actions_for(person_id) & link.purpose.offers
        if not actions:
            return NothingToDecide(request.state, workspace.name)
        page = await _decision_page(uow, env, link.purpose, request, claims, actions, cmd)
        return replace(page, workspace=workspace.name)


async def use_action_link(cmd: UseActionLink, env: Env) -> LinkOutcome:
    """Take the link's decision and mark the link used, in one transaction. A decision
    link works once: the same decision again is answered as already taken, another
    one is refused. A link whose turn has passed says the request moved on. An
    unsubscribe link stops all email, or undoes that, as often as it is used."""
    claims = _verify(env, cmd.token)
    decision = cmd.decision
    now = env.clock.now()

    async def attempt() -> LinkOutcome:
        async with env.uows() as uow:
            link = await _issued(uow, claims, cmd.token)
            if decision is None or decision.action not in link.purpose.offers:
                raise NotOffered("that is not something this link can do")
            workspace = await uow.workspaces.get(claims.workspace_id)
            if workspace is None:
                raise NotFound("link")
            if link.used_action and link.purpose.single_use:
                if link.used_action == decision.action:
                    decided = await _request(uow, claims)
                    return await _outcome(uow, workspace, link, decision.action, decided, True)
                raise LinkAlreadyUsed(link.used_action, decision.action)
            principal = Principal(workspace, claims.person_id, operator=False)
            request: IntroRequest | None = None
            if isinstance(decision, Unsubscribe | Resubscribe):
                stop = isinstance(decision, Unsubscribe)
                change = UpdatePerson(person_id=claims.person_id, never_contact=stop)
                await update_in(uow, principal, change, now)
            else:
                request = await _request(uow, claims)
                try:
                    named = with_valid_addresses(decision, env.email_addresses)
                    if await apply_decision(uow, workspace, request, claims.person_id, named, now):
                        await save_and_enqueue(uow, request, now)
                except NotPermitted:
                    # Links go only to the party a request waits on: refused now,
                    # the person's turn has passed.
                    raise MovedOn(request.state) from None
            await uow.action_links.mark_used(
                claims.workspace_id, link.token_hash, decision.action, now
            )
            outcome = await _outcome(uow, workspace, link, decision.action, request)
            if request is None:
                person = await uow.people.get(claims.workspace_id, claims.person_id)
                deliverable = person is not None and person.email_status is EmailStatus.OK
                outcome = replace(outcome, deliverable=deliverable)
            await uow.commit()
        return outcome

    return await retrying(attempt)


async def _outcome(
    uow: UnitOfWork,
    workspace: Workspace,
    link: ActionLink,
    action: str,
    request: IntroRequest | None,
    repeated: bool = False,
) -> LinkOutcome:
    """The outcome with the names its page may give: the parties as the request
    stands now, as the person holding the link sees it (the asker sees no expert
    before the introduction). Whom a connector named by email is called by the
    name they typed, as a new person would be: the page does not tell them that
    the address was known, nor what it is known as."""
    if request is None:
        return LinkOutcome(action, repeated, workspace.name, link.purpose)
    viewer = viewer_of(request, link.claims.person_id)
    if viewer is None:
        raise NotFound("link")
    view = project(request, viewer)
    people = await uow.people.get_many(workspace.id, request.parties())

    def name(person_id: uuid.UUID | None, typed: NamedAs | None) -> str:
        person = people.get(person_id) if person_id else None
        return typed.name if typed else person.name if person else ""

    return LinkOutcome(
        action,
        repeated,
        workspace.name,
        link.purpose,
        asker=name(view.asker_id, None),
        connector=name(view.connector_id, connector_as_named(request, viewer)),
        expert=name(view.expert_id, expert_as_named(request, viewer)),
        state=view.state,
    )


def _verify(env: Env, token: str) -> ActionClaims:
    try:
        return env.link_tokens.verify(token)
    except TokenExpired:
        raise LinkExpired("this link has expired") from None
    except Unauthenticated:
        raise NotFound("link") from None


async def _issued(uow: UnitOfWork, claims: ActionClaims, token: str) -> ActionLink:
    """The recorded link: a genuine signature is not enough, it must have been issued
    (and not revoked) for the same person and purpose."""
    link = await uow.action_links.get(claims.workspace_id, token_hash(token))
    if link is None or link.claims != claims:
        raise NotFound("link")
    return link


async def _request(uow: UnitOfWork, claims: ActionClaims) -> IntroRequest:
    request = (
        await uow.requests.get(claims.workspace_id, claims.request_id)
        if claims.request_id
        else None
    )
    if request is None or request.role_of(claims.person_id) is None:
        raise NotFound("link")
    return request


async def _decision_page(
    uow: UnitOfWork,
    env: Env,
    purpose: Purpose,
    request: IntroRequest,
    claims: ActionClaims,
    actions: frozenset[str],
    cmd: ShowActionLink,
) -> DecisionPage:
    ws = claims.workspace_id
    target_id = target_named_to(request, claims.person_id)
    wanted = request.parties() | ({target_id} if target_id else set())
    people = await uow.people.get_many(ws, wanted)

    def someone(person_id: uuid.UUID | None) -> Someone:
        p = people.get(person_id) if person_id else None
        return Someone(p.name or "someone", p.headline) if p else Someone("someone")

    page = DecisionPage(
        purpose=purpose,
        actions=actions,
        topic=request.topic,
        message=request.message,
        asker=someone(request.asker_id),
        connector=someone(request.connector_id),
        expert=someone(request.expert_id),
    )
    if purpose is Purpose.CONNECTOR:
        target = people.get(target_id) if target_id else None
        if target is not None and target.erased_at is None:
            page = replace(page, target=Someone(target.name, target.headline))
        return await _for_connector(uow, env, page, request, claims, cmd)
    if purpose is Purpose.EXPERT:
        events = await uow.requests.events(ws, request.id)
        proposal = next((e for e in reversed(events) if e.type is EventType.EXPERT_PROPOSED), None)
        note = str(proposal.data.get("note", "")) if proposal else ""
        return replace(page, proposal_note=note, asked_for_by_name=asked_for_by_name(request))
    return page


async def _for_connector(
    uow: UnitOfWork,
    env: Env,
    page: DecisionPage,
    request: IntroRequest,
    claims: ActionClaims,
    cmd: ShowActionLink,
) -> DecisionPage:
    """Their connections to choose from (those a search matches), the ranked suggestions
    first (the person the asker hopes to meet before them, if the connector knows
    them) and at most MAX_CANDIDATES of them; the expert a suggestion's link named,
    if they may be asked; and why the expert they proposed (if any) said no."""
    now = env.clock.now()
    ranked = await rank_suggestions(uow.matching, request, now, SUGGESTED_ON_PAGE)
    target = await known_target(uow.connections, uow.people, request, now)
    ranked = target_first(ranked, target, SUGGESTED_ON_PAGE)
    rank = tuple(s.person.id for s in ranked)
    parties = frozenset(request.parties())
    query = " ".join(cmd.query.replace("\x00", "").split())[:MAX_QUERY]
    listed, matched = await uow.matching.connections_listed(
        claims.workspace_id,
        claims.person_id,
        q=query,
        exclude=parties,
        first=rank,
        limit=MAX_CANDIDATES,
        count_up_to=COUNTED_UP_TO,
    )
    found = {p.id for p in listed}
    chosen = None
    if cmd.expert_id is not None and cmd.expert_id not in parties:
        named, _ = await uow.matching.connections_listed(
            claims.workspace_id,
            claims.person_id,
            q="",
            exclude=parties,
            only=frozenset({cmd.expert_id}),
            limit=1,
            count_up_to=1,
        )
        chosen = named[0] if named else None
    if chosen is not None and chosen.id not in {p.id for p in listed}:
        listed = [chosen, *listed[: MAX_CANDIDATES - 1]]
    first = listed[0].id if query and listed else (ranked[0].person.id if ranked else None)
    events = await uow.requests.events(claims.workspace_id, request.id)

    def candidate(p: Person) -> Candidate:
        return Candidate(p.id, p.name, p.headline, p.id in rank, p.id == request.target_id)

    return replace(
        page,
        candidates=tuple(candidate(p) for p in listed),
        unlisted=min(matched, COUNTED_UP_TO) - len(found & {p.id for p in listed}),
        unlisted_over=matched > COUNTED_UP_TO,
        query=query,
        chosen=candidate(chosen) if chosen else None,
        preselected=chosen.id if chosen else first,
        target_suggested=target is not None,
        expert_declined=why_the_expert_said_no(events),
    )
