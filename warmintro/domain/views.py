"""What each party may see of a request and its timeline: the one projection.

The JSON API, the email-link pages, the export and the webhook payloads all
show requests and events through this module, so the rules live here only:

- The asker sees nothing of the proposed expert before they accept, so the asker
  never learns who declined or why: the expert's id appears only once the
  request is introduced, and events about proposals and expert declines are
  left out of the asker's timeline.
- Decline reasons and notes reach the current connector only. Someone who
  passed the request on sees its state, their own acts whole (the experts they
  named by id included) and who holds the ask now (they handed it over), not which
  expert was asked after them or why anyone else said no. A connector named by
  email is seen by the connectors before them only as typed (no `connector_id`
  in the request nor in the forward), and by the asker by the name typed.
- Everyone sees their own acts whole, but for the id of someone they named by
  email (below and above).
- An expert a connector named by email is seen by the connector only as typed
  (the address and name, `named_as`) until they accept, as the asker sees no
  expert before then: no `expert_id` in the request, none in the events about
  them (the proposal, the reminder, their no or bounce). The address may belong
  to someone known, and an id would tell who (anyone may look a person up). Once
  they accept, they have agreed to be known, and the id shows as for anyone
  named by id. Only the expert themself and the workspace see the id throughout.
- An expert sees the request from their own proposal on, and only their part.
  The person the asker hoped to meet (`target_id`) is the asker's to tell their
  connectors (all of them see it, a forward's next connector too); an expert sees
  it only when they are that person, so no one else asked learns whom the asker
  hoped for.
- Integrations see ids, states and reason codes, never the free text people wrote
  (nor the name a connector typed).
- Each viewer's timeline is numbered 1..n for them, so no gap in the numbers tells
  where hidden events were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    NamedAs,
    Rating,
    Role,
    State,
)

OPERATOR: Role | None = None
"""A workspace API key acting for nobody in particular sees everything."""

_REASON_AND_NOTE = ("reason", "note")
_FREE_TEXT = frozenset({"note", "named_as"})
_WHO_THE_EXPERT_IS = ("expert_id", "person_id")
_NOT_TO_AN_EXPERT = (*_REASON_AND_NOTE, "target_id")
"""What a public event does not tell an expert who is not the asker's target."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a party of the request, or the workspace operator (role None)."""

    person_id: uuid.UUID | None
    role: Role | None
    current: bool = True
    """False for a connector who has handed the request on."""

    @property
    def full_view(self) -> bool:
        """The operator and the current connector see everything."""
        return self.role is OPERATOR or (self.role is Role.CONNECTOR and self.current)

    @property
    def sees_routing(self) -> bool:
        """Which connectors are still to try: everyone but the experts."""
        return self.role is not Role.EXPERT


def viewer_of(request: IntroRequest, person_id: uuid.UUID | None) -> Viewer | None:
    """The viewer for a person, or None when the request is not theirs to see."""
    if person_id is None:
        return Viewer(None, OPERATOR)
    role = request.role_of(person_id)
    if role is None:
        return None
    return Viewer(
        person_id, role, current=role is not Role.CONNECTOR or person_id == request.connector_id
    )


@dataclass(frozen=True, slots=True)
class RequestView:
    """An intro request as one viewer may see it."""

    id: uuid.UUID
    state: State
    asker_id: uuid.UUID
    connector_id: uuid.UUID | None
    expert_id: uuid.UUID | None
    target_id: uuid.UUID | None
    fallback_connector_ids: tuple[uuid.UUID, ...] | None
    topic: str
    message: str
    hops: int
    decline_reason: DeclineReason | None
    feedback_rating: Rating | None
    viewer_role: Role | None
    deadline_at: datetime | None
    introduced_at: datetime | None
    created_at: datetime
    updated_at: datetime


def visible_connector_id(request: IntroRequest, viewer: Viewer) -> uuid.UUID | None:
    """Who holds the ask now; not to a connector before them when they were named
    by email (`connector_as_named`)."""
    if connector_as_named(request, viewer) is not None and viewer.role is Role.CONNECTOR:
        return None
    return request.connector_id


def connector_as_named(request: IntroRequest, viewer: Viewer) -> NamedAs | None:
    """How this viewer sees the current connector when the connector before named
    them by email: as typed, to the connectors before them (without an id) and to
    the asker (by the name typed, beside the id: it is their ask). None when the
    viewer sees them as they are."""
    before_them = viewer.role is Role.CONNECTOR and not viewer.current
    if before_them or viewer.role is Role.ASKER:
        return request.connector_named_as
    return None


def visible_expert_id(request: IntroRequest, viewer: Viewer) -> uuid.UUID | None:
    if viewer.role is Role.ASKER and not request.expert_visible_to_asker:
        return None
    if viewer.role is Role.EXPERT and request.expert_id != viewer.person_id:
        return None
    if viewer.role is Role.CONNECTOR and not viewer.current:
        return None
    if expert_as_named(request, viewer) is not None:
        return None
    return request.expert_id


def expert_as_named(request: IntroRequest, viewer: Viewer) -> NamedAs | None:
    """How this viewer sees the current expert instead of by id: as the connector
    typed them, while an expert named by email has not accepted. None when the
    viewer sees the id (or no expert at all)."""
    named = request.expert_named_as
    if named is None or request.introduced_at is not None:
        return None
    if viewer.role is OPERATOR or request.expert_id == viewer.person_id:
        return None
    return named


def visible_target_id(request: IntroRequest, viewer: Viewer) -> uuid.UUID | None:
    """Whom the asker hopes to meet: to everyone but an expert who is someone else."""
    if viewer.role is Role.EXPERT and request.target_id != viewer.person_id:
        return None
    return request.target_id


def project(request: IntroRequest, viewer: Viewer) -> RequestView:
    r = request
    return RequestView(
        id=r.id,
        state=r.state,
        asker_id=r.asker_id,
        connector_id=visible_connector_id(r, viewer),
        expert_id=visible_expert_id(r, viewer),
        target_id=visible_target_id(r, viewer),
        fallback_connector_ids=r.fallback_connector_ids if viewer.sees_routing else None,
        topic=r.topic,
        message=r.message,
        hops=r.hops,
        decline_reason=r.decline_reason if viewer.full_view else None,
        feedback_rating=r.feedback_rating,
        viewer_role=viewer.role,
        deadline_at=r.deadline_at,
        introduced_at=r.introduced_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


@dataclass(frozen=True, slots=True)
class EventView:
    """One event of a timeline as one viewer may see it."""

    id: uuid.UUID
    request_id: uuid.UUID
    seq: int
    type: EventType
    actor_id: uuid.UUID | None
    occurred_at: datetime
    data: dict[str, Any]


def project_event(event: Event, request: IntroRequest, viewer: Viewer) -> EventView | None:
    """The event as this viewer may see it, or None to leave it out."""
    data = _visible_data(event, request, viewer)
    if data is None:
        return None
    actor = event.actor_id
    if "named_as" in data and viewer.role is not OPERATOR:
        if event.type is EventType.FORWARDED:
            data = _forwarded_by_email(data, viewer, typed_it=actor == viewer.person_id)
        elif _expert_as_typed(data, request, viewer):
            # Known by id only to themself, and to all once they accept. Their own
            # no is told without who said it.
            data = {k: v for k, v in data.items() if k not in _WHO_THE_EXPERT_IS}
            actor = None if str(actor) == event.data.get("expert_id") else actor
    return EventView(
        event.id, event.request_id, event.seq, event.type, actor, event.occurred_at, data
    )


def _expert_as_typed(data: dict[str, Any], request: IntroRequest, viewer: Viewer) -> bool:
    """Whether this viewer sees the expert the event is about only as typed."""
    expert = data.get("expert_id", data.get("person_id"))
    agreed = request.introduced_at is not None and expert == str(request.expert_id)
    return not agreed and expert != str(viewer.person_id)


def _forwarded_by_email(data: dict[str, Any], viewer: Viewer, *, typed_it: bool) -> dict[str, Any]:
    """A forward to someone named by email: they themself see it whole; the asker
    sees who holds their ask, called by the name typed; the connector who typed it
    sees it as typed, without the id; any later connector sees only the name typed.
    Nobody but the one who typed it and the person named learns the address."""
    if data.get("connector_id") == str(viewer.person_id):
        return data
    name_only = {**data, "named_as": {"name": data["named_as"]["name"]}}
    if viewer.role is Role.ASKER:
        return name_only
    return {k: v for k, v in (data if typed_it else name_only).items() if k != "connector_id"}


def timeline(events: Iterable[Event], request: IntroRequest, viewer: Viewer) -> list[EventView]:
    """The events this viewer may see, oldest first, numbered 1..n for them. Events
    are only ever appended, and what the asker and an expert see depends on the
    event alone, so a number once shown to them keeps naming the same event. (A
    connector who passes the ask on sees less of it from then on: their timeline
    is counted afresh.)"""
    seen: list[EventView] = []
    for event in events:
        view = project_event(event, request, viewer)
        if view is not None:
            seen.append(replace(view, seq=len(seen) + 1))
    return seen


def _visible_data(event: Event, request: IntroRequest, viewer: Viewer) -> dict[str, Any] | None:
    role = viewer.role
    if viewer.full_view:
        return dict(event.data)
    if event.actor_id is not None and event.actor_id == viewer.person_id:
        return dict(event.data)  # one's own act, whole: the experts one named included
    mine = str(viewer.person_id)
    if role is Role.CONNECTOR:  # handed on: their own acts, and where the request stands
        if event.actor_id == viewer.person_id or event.data.get("connector_id") == mine:
            return {k: v for k, v in event.data.items() if k != "expert_id"}
        if event.type.public:
            return {k: v for k, v in event.data.items() if k not in _REASON_AND_NOTE}
        return None
    if role is Role.ASKER:
        if event.type.about_expert or (
            event.type is EventType.REMINDER_DUE and event.data.get("role") == Role.EXPERT
        ):
            return None
        data = {k: v for k, v in event.data.items() if k != "reason"}
        if event.actor_id != viewer.person_id and event.type is not EventType.INTRODUCED:
            data.pop("note", None)
        return data
    # An expert sees the request from their own proposal on, and only their own part.
    if event.type.public:
        hidden = _REASON_AND_NOTE if request.target_id == viewer.person_id else _NOT_TO_AN_EXPERT
        return {k: v for k, v in event.data.items() if k not in hidden}
    if event.data.get("expert_id") == mine or event.data.get("person_id") == mine:
        return dict(event.data)
    return None


# What passes a request from one person's hands to another's.
_TURNS = frozenset(
    {
        EventType.CREATED,
        EventType.FORWARDED,
        EventType.HANDED_OFF,
        EventType.EXPERT_PROPOSED,
        EventType.EXPERT_DECLINED,
        EventType.EXPERT_UNREACHABLE,
    }
)


def why_the_expert_said_no(events: list[Event]) -> DeclineReason | None:
    """For the connector's page: why the expert they named said no, when that is how
    the request came back to them. None when it reached them any other way (a new
    ask, a forward, a hand-off after someone else's no): a page tells nobody that
    "the person you named" declined unless they named them."""
    last = next((e for e in reversed(events) if e.type in _TURNS), None)
    if last is None or last.type is not EventType.EXPERT_DECLINED:
        return None
    return DeclineReason(str(last.data["reason"]))


def for_integrations(event: Event) -> dict[str, Any]:
    """An event as webhook payloads carry it: ids, states and reason codes."""
    data = {
        "id": str(event.request_id),
        "event_id": str(event.id),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        **event.data,
    }
    return {k: v for k, v in data.items() if k not in _FREE_TEXT}
