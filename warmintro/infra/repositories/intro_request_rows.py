"""Intro requests and their events as rows, and back: the mapping the repository
and its readers share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    NamedAs,
    Rating,
    Role,
    State,
    topic_key,
)
from warmintro.infra.tables import intro_requests


def about(data: dict[str, Any], person_id: uuid.UUID) -> bool:
    """Whether an event's data names this person (the expert, or whom it was
    forwarded to); `named_as` is how it was typed."""
    named = (data.get("expert_id"), data.get("person_id"), data.get("connector_id"))
    return str(person_id) in named


def event_from_row(r: sa.Row[Any]) -> Event:
    return Event(
        id=r.id,
        workspace_id=r.workspace_id,
        request_id=r.request_id,
        seq=r.seq,
        type=EventType(r.type),
        actor_id=r.actor_id,
        occurred_at=r.occurred_at,
        data=dict(r.data),
    )


def _ids(values: Any) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(v) for v in values) if values else ()


def request_row(r: IntroRequest) -> dict[str, Any]:
    return dict(
        workspace_id=r.workspace_id,
        id=r.id,
        asker_id=r.asker_id,
        connector_id=r.connector_id,
        expert_id=r.expert_id,
        expert_named_as=r.expert_named_as.as_data() if r.expert_named_as else None,
        target_id=r.target_id,
        topic=r.topic,
        topic_key=topic_key(r.topic),
        message=r.message,
        state=r.state.value,
        hops=r.hops,
        connector_named_as=r.connector_named_as.as_data() if r.connector_named_as else None,
        fallback_connector_ids=[str(i) for i in r.fallback_connector_ids],
        past_connector_ids=[str(i) for i in r.past_connector_ids],
        declined_expert_ids=[str(i) for i in r.declined_expert_ids],
        declined_connector_ids=[str(i) for i in r.declined_connector_ids],
        forwards=[[str(a), str(b)] for a, b in r.forwards],
        decline_reason=r.decline_reason.value if r.decline_reason else None,
        feedback_rating=r.feedback_rating.value if r.feedback_rating else None,
        deadline_at=r.deadline_at,
        reminder_at=r.reminder_at,
        reminded=r.reminded,
        introduced_at=r.introduced_at,
        feedback_due_at=r.feedback_due_at,
        feedback_asked=r.feedback_asked,
        version=r.version,
        event_seq=r.event_seq,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


_COLUMNS = [
    "workspace_id",
    "id",
    "asker_id",
    "connector_id",
    "expert_id",
    "expert_named_as",
    "target_id",
    "topic",
    "topic_key",
    "message",
    "state",
    "hops",
    "connector_named_as",
    "fallback_connector_ids",
    "past_connector_ids",
    "declined_expert_ids",
    "declined_connector_ids",
    "forwards",
    "decline_reason",
    "feedback_rating",
    "deadline_at",
    "reminder_at",
    "reminded",
    "introduced_at",
    "feedback_due_at",
    "feedback_asked",
    "version",
    "event_seq",
    "created_at",
    "updated_at",
]
# `request_from_row` unpacks a row by position: reading 30 fields of a Row by name cost more
# than everything else a list of requests does with them.
assert list(intro_requests.columns.keys()) == _COLUMNS, (
    "keep request_from_row in step with the table"
)
_STATES = {s.value: s for s in State}


def request_from_row(row: Sequence[Any]) -> IntroRequest:
    (
        workspace_id,
        id_,
        asker_id,
        connector_id,
        expert_id,
        expert_named_as,
        target_id,
        topic,
        _topic_key,
        message,
        state,
        hops,
        connector_named_as,
        fallback_connector_ids,
        past_connector_ids,
        declined_expert_ids,
        declined_connector_ids,
        forwards,
        decline_reason,
        feedback_rating,
        deadline_at,
        reminder_at,
        reminded,
        introduced_at,
        feedback_due_at,
        feedback_asked,
        version,
        event_seq,
        created_at,
        updated_at,
    ) = row
    return IntroRequest(
        id=id_,
        workspace_id=workspace_id,
        asker_id=asker_id,
        connector_id=connector_id,
        expert_id=expert_id,
        expert_named_as=NamedAs.from_data(expert_named_as),
        target_id=target_id,
        topic=topic,
        message=message,
        state=_STATES[state],
        hops=hops,
        connector_named_as=NamedAs.from_data(connector_named_as),
        fallback_connector_ids=_ids(fallback_connector_ids),
        past_connector_ids=_ids(past_connector_ids),
        declined_expert_ids=_ids(declined_expert_ids),
        declined_connector_ids=_ids(declined_connector_ids),
        forwards=tuple((uuid.UUID(a), uuid.UUID(b)) for a, b in forwards),
        decline_reason=DeclineReason(decline_reason) if decline_reason else None,
        feedback_rating=Rating(feedback_rating) if feedback_rating else None,
        deadline_at=deadline_at,
        reminder_at=reminder_at,
        reminded=reminded,
        introduced_at=introduced_at,
        feedback_due_at=feedback_due_at,
        feedback_asked=feedback_asked,
        version=version,
        event_seq=event_seq,
        created_at=created_at,
        updated_at=updated_at,
    )


def party_roles(r: IntroRequest) -> dict[uuid.UUID, str]:
    roles = {p: Role.CONNECTOR.value for p in (r.connector_id, *r.past_connector_ids)}
    roles |= {p: Role.EXPERT.value for p in r.declined_expert_ids}
    if r.expert_id:
        roles[r.expert_id] = Role.EXPERT.value
    roles[r.asker_id] = Role.ASKER.value
    return roles
