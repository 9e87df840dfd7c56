"""Intro requests: open an ask, the decisions of each party, views and timelines."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from warmintro.api.deps import (
    CallerDep,
    IdempotencyDep,
    PageDep,
    TimelinePageDep,
    encode_cursor,
    omittable,
)
from warmintro.api.json_bodies import REQUEST, REQUEST_PAGE, PageBody
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import (
    AcceptIn,
    DeclineIn,
    EventOut,
    FeedbackIn,
    ForwardIn,
    IntroRequestIn,
    IntroRequestOut,
    Page,
    ProposeIn,
    SuggestionOut,
)
from warmintro.domain import commands as cmd
from warmintro.domain.intro_request import Role, State

router = APIRouter(prefix="/v1/intro-requests", tags=["intro requests"], responses=PROBLEMS)
Out = IntroRequestOut


@router.post("", status_code=201, response_model=Out)
async def create_intro_request(body: IntroRequestIn, idem: IdempotencyDep) -> Out | JSONResponse:
    """Ask a connector for an introduction.

    One open request per (asker, connector, topic): a second is a 409. The
    connector must be within their ask budget (429 with Retry-After) and not
    have opted out (409). Fallback connectors are asked one at a time, in
    order, only if the one before says no or does not answer.
    """
    return await idem.run(body.command(), Out.of, 201)


@router.get("", response_model=Page[Out])
async def list_intro_requests(
    caller: CallerDep,
    page: PageDep,
    role: Annotated[Role | None, Query(description="Only where the caller plays this part")] = None,
    state: State | None = None,
) -> Response:
    """Newest first. A member token (or an API key with X-On-Behalf-Of) lists the
    requests that person is a party to; an API key alone lists the workspace's."""
    result = await caller(
        cmd.ListIntroRequests(role=role, state=state, after=page.after, limit=page.limit)
    )
    return REQUEST_PAGE.response(PageBody(result.items, encode_cursor(result.next_after)))


@router.get("/{request_id}", response_model=Out)
async def get_intro_request(request_id: uuid.UUID, caller: CallerDep) -> Response:
    """The request as the caller may see it: the asker sees no expert until they accept."""
    return REQUEST.response(await caller(cmd.GetIntroRequest(request_id)))


@router.get("/{request_id}/events", response_model=Page[EventOut])
async def list_intro_request_events(
    request_id: uuid.UUID, caller: CallerDep, page: TimelinePageDep
) -> Page[EventOut]:
    """The timeline, oldest first, filtered to what the caller may see."""
    result = await caller(cmd.ListEvents(request_id, after_seq=page.after_seq, limit=page.limit))
    return Page(
        items=[EventOut.of(e) for e in result.items], next_cursor=encode_cursor(result.next_after)
    )


@router.get("/{request_id}/suggestions", response_model=Page[SuggestionOut])
async def suggest_experts(
    request_id: uuid.UUID,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Page[SuggestionOut]:
    """Experts in the current connector's network who match the topic as words, best
    first (one ranked page: `next_cursor` is always null). An expertise tag matches
    when the topic names all of it ("pricing model" in "Pricing models for SaaS");
    a headline or bio on any word of the topic, never a word inside another. Tags
    weigh most (3 each in `score`), then the headline (1), then the bio (0.5); equal
    matches rank the stronger connection first. `matched`: the tags the topic names."""
    found = await caller(cmd.SuggestExperts(request_id, limit=limit))
    return Page(items=[SuggestionOut.of(s) for s in found], next_cursor=None)


@router.post("/{request_id}/propose", response_model=Out)
async def propose_expert(
    request_id: uuid.UUID, body: ProposeIn, idem: IdempotencyDep
) -> Out | JSONResponse:
    """The current connector names an expert (`expert_id`, or `expert` by email and
    name); the expert is asked for consent before anyone is introduced. By id, an
    expert who cannot be asked is a 409 or 429 saying why; by email, the answer is
    the same whoever owns the address (`expert_id` null: the connector sees them as
    typed until they accept), and an owner who cannot be asked is not emailed: at
    their deadline the request comes back with `no_answer`."""
    return await idem.run(cmd.Decide(request_id, body.decision()), Out.of)


@router.post("/{request_id}/forward", response_model=Out)
async def forward_intro_request(
    request_id: uuid.UUID, body: ForwardIn, idem: IdempotencyDep
) -> Out | JSONResponse:
    """The current connector passes the ask on (`connector_id`, or `connector` by email
    and name): at most 3 hops, never back to a party. By email, as for a proposal,
    the answer is the same whoever owns the address; an owner who cannot be asked is
    not emailed, and at their deadline the ask moves on as after silence."""
    return await idem.run(cmd.Decide(request_id, body.decision()), Out.of)


@router.post("/{request_id}/decline", response_model=Out)
async def decline_intro_request(
    request_id: uuid.UUID, body: DeclineIn, idem: IdempotencyDep
) -> Out | JSONResponse:
    """'Not this time' from the connector (hands off to the next fallback, else
    closes), or a no from the proposed expert (back to the connector). The reason
    reaches the connector only."""
    return await idem.run(cmd.Decide(request_id, body.decision()), Out.of)


@router.post("/{request_id}/accept", response_model=Out)
async def accept_intro_request(
    request_id: uuid.UUID, idem: IdempotencyDep, body: Annotated[AcceptIn, omittable(AcceptIn)]
) -> Out | JSONResponse:
    """The proposed expert agrees; everyone is introduced. The body (a note) may be
    left out."""
    return await idem.run(cmd.Decide(request_id, body.decision()), Out.of)


@router.post("/{request_id}/cancel", response_model=Out)
async def cancel_intro_request(request_id: uuid.UUID, idem: IdempotencyDep) -> Out | JSONResponse:
    """The asker withdraws a request that is still waiting."""
    return await idem.run(cmd.Decide(request_id, cmd.Cancel()), Out.of)


@router.post("/{request_id}/feedback", response_model=Out)
async def give_feedback(
    request_id: uuid.UUID, body: FeedbackIn, idem: IdempotencyDep
) -> Out | JSONResponse:
    """'Did it help?' from the asker after the introduction; completes the request."""
    return await idem.run(cmd.Decide(request_id, body.decision()), Out.of)
