"""Intro requests: open an ask, the decisions of each party, views and timelines."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from warmintro.api.deps import (
    ContainerDep,
    IdempotencyDep,
    PageDep,
    PrincipalDep,
    ReadUowDep,
    UowDep,
    encode_cursor,
)
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
from warmintro.domain.handlers import intro_requests as h
from warmintro.domain.intro_request import Role, State

router = APIRouter(prefix="/v1/intro-requests", tags=["intro requests"], responses=PROBLEMS)
Out = IntroRequestOut


@router.post("", status_code=201, response_model=Out)
async def create_intro_request(
    body: IntroRequestIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """Ask a connector for an introduction.

    One open request per (asker, connector, topic): a second is a 409. The
    connector must be within their ask budget (429 with Retry-After) and not
    have opted out (409). Fallback connectors are asked one at a time, in
    order, only if the one before says no or does not answer.
    """

    async def run() -> Out:
        cmd = h.CreateIntroRequest(
            asker_id=body.asker_id,
            connector_id=body.connector_id,
            topic=body.topic,
            message=body.message,
            target_id=body.target_id,
            fallback_connector_ids=tuple(body.fallback_connector_ids),
        )
        return Out.of(await h.create_intro_request(cmd, uow, c.clock, principal))

    return await idem.run(run, 201)


@router.get("", response_model=Page[Out])
async def list_intro_requests(
    principal: PrincipalDep,
    uow: ReadUowDep,
    page: PageDep,
    role: Annotated[Role | None, Query(description="Only where the caller plays this part")] = None,
    state: State | None = None,
) -> Page[Out]:
    """Newest first. A member token (or an API key with X-On-Behalf-Of) lists the
    requests that person is a party to; an API key alone lists the workspace's."""
    result = await h.list_intro_requests(
        uow, principal, role=role, state=state, after=page.after, limit=page.limit
    )
    return Page(
        items=[Out.of(s) for s in result.items], next_cursor=encode_cursor(result.next_after)
    )


@router.get("/{request_id}", response_model=Out)
async def get_intro_request(request_id: uuid.UUID, principal: PrincipalDep, uow: ReadUowDep) -> Out:
    """The request as the caller may see it: the asker sees no expert until they accept."""
    return Out.of(await h.get_intro_request(request_id, uow, principal))


@router.get("/{request_id}/events", response_model=Page[EventOut])
async def list_events(
    request_id: uuid.UUID, principal: PrincipalDep, uow: ReadUowDep, page: PageDep
) -> Page[EventOut]:
    """The timeline, oldest first, filtered to what the caller may see."""
    result = await h.list_events(
        request_id, uow, principal, after_seq=page.after_seq, limit=page.limit
    )
    return Page(
        items=[EventOut.of(e) for e in result.items], next_cursor=encode_cursor(result.next_after)
    )


@router.get("/{request_id}/suggestions", response_model=Page[SuggestionOut])
async def suggestions(
    request_id: uuid.UUID,
    principal: PrincipalDep,
    uow: ReadUowDep,
    c: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Page[SuggestionOut]:
    """Experts in the current connector's network who match the topic, best first
    (one ranked page: `next_cursor` is always null)."""
    found = await h.suggest_experts(request_id, uow, c.clock, principal, limit=limit)
    return Page(items=[SuggestionOut.of(s) for s in found], next_cursor=None)


@router.post("/{request_id}/propose", response_model=Out)
async def propose(
    request_id: uuid.UUID,
    body: ProposeIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """The current connector names an expert (`expert_id`, or `expert` by email and
    name); the expert is asked for consent before anyone is introduced."""

    async def run() -> Out:
        expert = h.NewExpert(body.expert.email, body.expert.name) if body.expert else None
        cmd = h.Propose(
            request_id=request_id, expert_id=body.expert_id, expert=expert, note=body.note
        )
        return Out.of(await h.propose(cmd, uow, c.clock, principal))

    return await idem.run(run)


@router.post("/{request_id}/forward", response_model=Out)
async def forward(
    request_id: uuid.UUID,
    body: ForwardIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """The current connector passes the ask on: at most 3 hops, never back to a party."""

    async def run() -> Out:
        return Out.of(
            await h.forward(request_id, body.connector_id, body.note, uow, c.clock, principal)
        )

    return await idem.run(run)


@router.post("/{request_id}/decline", response_model=Out)
async def decline(
    request_id: uuid.UUID,
    body: DeclineIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """'Not this time' from the connector (hands off to the next fallback, else
    closes), or a no from the proposed expert (back to the connector). The reason
    reaches the connector only."""

    async def run() -> Out:
        return Out.of(await h.decline(request_id, body.reason, body.note, uow, c.clock, principal))

    return await idem.run(run)


@router.post("/{request_id}/accept", response_model=Out)
async def accept(
    request_id: uuid.UUID,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
    body: AcceptIn | None = None,
) -> Out | JSONResponse:
    """The proposed expert agrees; everyone is introduced."""

    async def run() -> Out:
        return Out.of(
            await h.accept(request_id, (body or AcceptIn()).note, uow, c.clock, principal)
        )

    return await idem.run(run)


@router.post("/{request_id}/cancel", response_model=Out)
async def cancel(
    request_id: uuid.UUID,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """The asker withdraws a request that is still waiting."""

    async def run() -> Out:
        return Out.of(await h.cancel(request_id, uow, c.clock, principal))

    return await idem.run(run)


@router.post("/{request_id}/feedback", response_model=Out)
async def feedback(
    request_id: uuid.UUID,
    body: FeedbackIn,
    principal: PrincipalDep,
    uow: UowDep,
    c: ContainerDep,
    idem: IdempotencyDep,
) -> Out | JSONResponse:
    """'Did it help?' from the asker after the introduction; completes the request."""

    async def run() -> Out:
        return Out.of(
            await h.give_feedback(request_id, body.rating, body.note, uow, c.clock, principal)
        )

    return await idem.run(run)
