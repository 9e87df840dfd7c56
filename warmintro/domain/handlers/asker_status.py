"""The asker's status page behind their email links: where the ask stands.

Built from the same projection as the JSON API (`views.timeline` as the asker
sees it), so the page names no expert before the introduction and numbers the
asker's timeline 1..n, with no gap where hidden events were.
"""

from __future__ import annotations

import uuid

from warmintro.domain.action_links import ActionLink, AskerStatus, Someone, Step
from warmintro.domain.events import EventType
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.ports import UnitOfWork
from warmintro.domain.views import (
    EventView,
    connector_as_named,
    timeline,
    viewer_of,
    visible_expert_id,
)

# Whom each step names, by the field of the event (as the asker sees it) holding them.
_NAMED = {
    EventType.CREATED: "connector_id",
    EventType.FORWARDED: "connector_id",
    EventType.HANDED_OFF: "connector_id",
    EventType.REMINDER_DUE: "person_id",
    EventType.INTRODUCED: "expert_id",
}


async def asker_status(uow: UnitOfWork, request: IntroRequest, link: ActionLink) -> AskerStatus:
    """The page of the asker's link. A link that took its decision keeps showing the
    status, with nothing more to decide through it."""
    ws, asker = request.workspace_id, link.claims.person_id
    viewer = viewer_of(request, asker)
    assert viewer is not None  # the link was issued to the asker of this request
    seen = timeline(await uow.requests.events(ws, request.id), request, viewer)
    expert_id = visible_expert_id(request, viewer)
    named = {_named(e) for e in seen} | {request.connector_id, expert_id}
    people = await uow.people.get_many(ws, {p for p in named if p is not None})
    workspace = await uow.workspaces.get(ws)

    def someone(person_id: uuid.UUID) -> Someone:
        p = people.get(person_id)
        return Someone(p.name or "someone", p.headline) if p else Someone("someone")

    def step(e: EventView) -> Step:
        who, typed = _named(e), e.data.get("named_as")
        if isinstance(typed, dict):  # someone a connector named by email, as typed
            return Step(e.seq, e.type, e.occurred_at, str(typed.get("name")) or "someone")
        return Step(e.seq, e.type, e.occurred_at, someone(who).name if who else "")

    typed = connector_as_named(request, viewer)

    actions: frozenset[str] = frozenset()
    if not link.used_action:
        actions = request.actions_for(asker) & link.purpose.offers
    return AskerStatus(
        state=request.state,
        actions=actions,
        workspace=workspace.name if workspace else "",
        topic=request.topic,
        message=request.message,
        connector=Someone(typed.name or "someone") if typed else someone(request.connector_id),
        expert=someone(expert_id) if expert_id else None,
        timeline=tuple(step(e) for e in seen),
        answered=link.used_action,
    )


def _named(event: EventView) -> uuid.UUID | None:
    field = _NAMED.get(event.type)
    value = event.data.get(field) if field else None
    return uuid.UUID(value) if isinstance(value, str) else None
