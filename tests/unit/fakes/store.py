"""The in-memory 'database' the fakes share, and what tests read from it directly."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from warmintro.domain.action_links import ActionLink
from warmintro.domain.events import Event
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import Connection, Person, Workspace
from warmintro.domain.ports import ApiKey, WebhookDelivery
from warmintro.domain.webhooks import WebhookEndpoint

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ERASED = "[erased]"
D = TypeVar("D", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """One outbox row as the fake records it."""

    workspace_id: uuid.UUID
    intent: EmailIntent
    available_at: datetime
    id: uuid.UUID = field(default_factory=new_id)
    status: str = "pending"
    """The fake sends nothing: a row stays pending unless a test fails it."""
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None
    opened_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """What the email provider told us, recorded once per event id."""

    kind: str
    outbox_id: uuid.UUID | None
    received_at: datetime


@dataclass
class StoredData:
    """Everything a transaction can change; snapshotted and restored by the fake UoW."""

    workspaces: dict[uuid.UUID, Workspace] = field(default_factory=dict)
    api_keys: dict[tuple[uuid.UUID, str], ApiKey] = field(default_factory=dict)
    revoked_keys: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    people: dict[tuple[uuid.UUID, uuid.UUID], Person] = field(default_factory=dict)
    connections: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], Connection] = field(
        default_factory=dict
    )
    requests: dict[tuple[uuid.UUID, uuid.UUID], IntroRequest] = field(default_factory=dict)
    events: dict[tuple[uuid.UUID, uuid.UUID], list[Event]] = field(default_factory=dict)
    outbox: list[QueuedEmail] = field(default_factory=list)
    webhook_endpoints: dict[tuple[uuid.UUID, uuid.UUID], WebhookEndpoint] = field(
        default_factory=dict
    )
    deleted_endpoints: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    """Kept, like the SQL rows, for their delivery log; never listed or sent to again."""
    webhook_deliveries: dict[tuple[uuid.UUID, uuid.UUID], WebhookDelivery] = field(
        default_factory=dict
    )
    provider_events: dict[tuple[uuid.UUID, str], ProviderEvent] = field(default_factory=dict)
    action_links: dict[tuple[uuid.UUID, str], ActionLink] = field(default_factory=dict)


@dataclass
class Counters:
    """Calls the tests want to count; not part of any transaction."""

    api_key_lookups: int = 0
    workspace_lookups: int = 0
    transactions: int = 0
    commits: int = 0
    locks: list[tuple[uuid.UUID, ...]] = field(default_factory=list)


class FakeStore:
    """The 'database' the fakes share; tests read it directly to check what was stored."""

    def __init__(self) -> None:
        self.data = StoredData()
        self.counters = Counters()

    def snapshot(self) -> StoredData:
        return copy.deepcopy(self.data)

    def restore(self, snapshot: StoredData) -> None:
        self.data = copy.deepcopy(snapshot)

    def contents(self) -> dict[str, Any]:
        """Everything stored, in a form that compares by value (IntroRequest compares
        by identity), to check that a failed use case left no trace."""
        data = copy.deepcopy(self.data)
        values = {f.name: getattr(data, f.name) for f in fields(data)}
        values["requests"] = {
            key: {f.name: getattr(r, f.name) for f in fields(r)} for key, r in data.requests.items()
        }
        return values

    # ---- direct access for tests ---------------------------------------

    @property
    def emails(self) -> list[EmailIntent]:
        return [row.intent for row in self.data.outbox]

    def request(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest:
        return self.data.requests[(workspace_id, request_id)]

    def person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        return self.data.people.get((workspace_id, person_id))

    def stored_events(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> list[Event]:
        return list(self.data.events.get((workspace_id, request_id), []))


def copy_request(request: IntroRequest) -> IntroRequest:
    """A detached copy without pending events (every other field is immutable)."""
    return replace(request, events=[])


def copy_event(event: Event) -> Event:
    return replace(event, data=copy.deepcopy(event.data))


def in_utc(value: D) -> D:
    """The dataclass with every instant in UTC (its own fields and its nested
    dataclasses'), as the database hands them back."""
    changes: dict[str, Any] = {}
    for f in fields(value):
        item = getattr(value, f.name)
        if isinstance(item, datetime) and item.utcoffset() not in (None, timedelta(0)):
            changes[f.name] = item.astimezone(UTC)
        elif is_dataclass(item) and not isinstance(item, type):
            nested = in_utc(item)
            if nested is not item:
                changes[f.name] = nested
    return replace(value, **changes) if changes else value
