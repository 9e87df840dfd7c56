"""What each party may see of a request and its timeline.

The asker sees nothing of the proposed expert before they accept, so the asker
never learns who declined or why: the expert's id appears only once the request
is introduced, and events about proposals and expert declines are left out of
the asker's timeline. Decline reasons and notes reach the current connector
only: someone who passed the request on sees its state and their own part, not
who was asked after them or why they said no.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from warmintro.domain.intro_request import Event, IntroRequest, Role

OPERATOR: Role | None = None
"""A workspace API key acting for nobody in particular sees everything."""

_HIDDEN_FROM_ASKER = {
    "intro_request.expert_proposed",
    "intro_request.expert_declined",
    "intro_request.expert_unreachable",
}
_PRIVATE_FIELDS = ("reason", "note")
_PUBLIC = {
    "intro_request.created",
    "intro_request.cancelled",
    "intro_request.expired",
    "intro_request.completed",
}


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


def visible_expert_id(request: IntroRequest, viewer: Viewer) -> uuid.UUID | None:
    if viewer.role is Role.ASKER and not request.expert_visible_to_asker:
        return None
    if viewer.role is Role.EXPERT and request.expert_id != viewer.person_id:
        return None
    if viewer.role is Role.CONNECTOR and not viewer.current:
        return None
    return request.expert_id


def event_visible(event: Event, request: IntroRequest, viewer: Viewer) -> dict[str, Any] | None:
    """The event's data as this viewer may see it, or None to leave the event out."""
    role = viewer.role
    if viewer.full_view:
        return dict(event.data)
    mine = str(viewer.person_id)
    if role is Role.CONNECTOR:  # handed on: their own acts, and where the request stands
        if event.actor_id == viewer.person_id or event.data.get("connector_id") == mine:
            return {k: v for k, v in event.data.items() if k != "expert_id"}
        if event.type in _PUBLIC:
            return {k: v for k, v in event.data.items() if k not in _PRIVATE_FIELDS}
        return None
    if role is Role.ASKER:
        if event.type in _HIDDEN_FROM_ASKER or (
            event.type == "intro_request.reminder_due" and event.data.get("role") == "expert"
        ):
            return None
        data = {k: v for k, v in event.data.items() if k != "reason"}
        if event.actor_id != viewer.person_id and event.type != "intro_request.introduced":
            data.pop("note", None)
        return data
    # An expert sees the request from their own proposal on, and only their own part.
    if event.type in _PUBLIC:
        return {k: v for k, v in event.data.items() if k not in _PRIVATE_FIELDS}
    if event.data.get("expert_id") == mine or event.data.get("person_id") == mine:
        return dict(event.data)
    return None
