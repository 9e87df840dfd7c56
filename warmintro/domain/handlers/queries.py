"""Reading requests: one, a list, a timeline, and suggested experts."""

from __future__ import annotations

from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    GetIntroRequest,
    ListEvents,
    ListIntroRequests,
    SuggestExperts,
)
from warmintro.domain.errors import InvalidInput, NotPermitted
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import visible_request
from warmintro.domain.ports import Page
from warmintro.domain.suggestions import Suggestion, rank_suggestions
from warmintro.domain.targets import known_target, target_first
from warmintro.domain.views import (
    EventView,
    RequestView,
    project,
    timeline,
    viewer_of,
)


async def get_intro_request(cmd: GetIntroRequest, env: Env, principal: Principal) -> RequestView:
    """The request as the caller may see it."""
    async with env.uows(write=False) as uow:
        request, viewer = await visible_request(uow, principal, cmd.request_id)
    return project(request, viewer)


async def list_intro_requests(
    cmd: ListIntroRequests, env: Env, principal: Principal
) -> Page[RequestView]:
    """A member sees only requests they are a party to; an API key sees the workspace,
    or one person's requests with X-On-Behalf-Of."""
    person = principal.person_id
    if cmd.role is not None and person is None:
        raise InvalidInput("filtering by role needs X-On-Behalf-Of", field="role")
    async with env.uows(write=False) as uow:
        page = await uow.requests.search(
            principal.workspace_id,
            person_id=person,
            role=cmd.role,
            state=cmd.state,
            after=cmd.after,
            limit=cmd.limit,
        )
    seen = []
    for request in page.items:
        viewer = viewer_of(request, person)
        if viewer is not None:
            seen.append(project(request, viewer))
    return Page(seen, page.next_after)


async def list_events(cmd: ListEvents, env: Env, principal: Principal) -> Page[EventView]:
    """The timeline oldest first, as this viewer may see it, numbered 1..n for them. A
    request's timeline is short (one event per decision), so it is read whole and
    filtered here; the cursor is a number of the viewer's timeline."""
    async with env.uows(write=False) as uow:
        request, viewer = await visible_request(uow, principal, cmd.request_id)
        events = await uow.requests.events(principal.workspace_id, request.id)
    seen = timeline(events, request, viewer)
    rest = [e for e in seen if cmd.after_seq is None or e.seq > cmd.after_seq]
    page = rest[: cmd.limit]
    return Page(page, page[-1].seq if len(rest) > len(page) else None)


async def suggest_experts(cmd: SuggestExperts, env: Env, principal: Principal) -> list[Suggestion]:
    """People the current connector knows whose tags, headline or bio match the topic
    as words, best match first, after the person the asker hopes to meet if the
    connector knows them; never the request's own parties or anyone unreachable.
    Only the connector's own connections are ever suggested: someone who is not
    `discoverable` is therefore never suggested to a connector who does not already
    know them, and is to one who does."""
    now = env.clock.now()
    async with env.uows(write=False) as uow:
        request, viewer = await visible_request(uow, principal, cmd.request_id)
        if viewer.role is not None and viewer.person_id != request.connector_id:
            raise NotPermitted("only the current connector sees suggestions")
        ranked = await rank_suggestions(uow.matching, request, now, cmd.limit)
        target = await known_target(uow.connections, uow.people, request, now)
    return target_first(ranked, target, cmd.limit)
