"""What happened: the one list of event types, and the event record.

Every change to an intro request records one event; integrations receive each
as a webhook, and erasing a person is announced the same way. Every list of
event types elsewhere (webhook subscriptions, who sees what, which email goes
out) is derived from `EventType`, so a new type is added in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    CREATED = "intro_request.created"
    FORWARDED = "intro_request.forwarded"
    EXPERT_PROPOSED = "intro_request.expert_proposed"
    EXPERT_DECLINED = "intro_request.expert_declined"
    EXPERT_UNREACHABLE = "intro_request.expert_unreachable"
    DECLINED = "intro_request.declined"
    HANDED_OFF = "intro_request.handed_off"
    INTRODUCED = "intro_request.introduced"
    CANCELLED = "intro_request.cancelled"
    EXPIRED = "intro_request.expired"
    REMINDER_DUE = "intro_request.reminder_due"
    FEEDBACK_REQUESTED = "intro_request.feedback_requested"
    COMPLETED = "intro_request.completed"
    PERSON_ERASED = "person.erased"

    @property
    def about_expert(self) -> bool:
        """Events that name or concern the proposed expert, hidden from the asker."""
        return self in _ABOUT_EXPERT

    @property
    def public(self) -> bool:
        """Where a request stands, which every party may know."""
        return self in _PUBLIC


_ABOUT_EXPERT = frozenset(
    {EventType.EXPERT_PROPOSED, EventType.EXPERT_DECLINED, EventType.EXPERT_UNREACHABLE}
)
_PUBLIC = frozenset(
    {EventType.CREATED, EventType.CANCELLED, EventType.EXPIRED, EventType.COMPLETED}
)


@dataclass(frozen=True, slots=True)
class Event:
    """One change to a request. `data` holds ids, states and the actor's own note."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    request_id: uuid.UUID
    seq: int
    type: EventType
    actor_id: uuid.UUID | None
    occurred_at: datetime
    data: dict[str, Any]
