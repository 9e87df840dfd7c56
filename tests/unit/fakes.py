"""In-memory fakes of the ports in `warmintro.domain.ports`, for the unit tests.

They keep the promises the port docstrings make, like the SQL adapters do: the
unit of work rolls back unless committed, `add` refuses an open duplicate ask,
`save` refuses a stale version, ids double as the keyset order.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from warmintro.domain.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    DuplicateRequest,
    Unauthenticated,
)
from warmintro.domain.intro_request import Event, IntroRequest, Role, State
from warmintro.domain.intro_request import topic_key as key_of_topic
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import Connection, Person, Workspace
from warmintro.domain.ports import Load, Page, WebhookDelivery, WebhookMessage
from warmintro.domain.webhooks import WebhookEndpoint

_ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """One outbox row as the fake records it."""

    workspace_id: uuid.UUID
    intent: EmailIntent
    available_at: datetime


@dataclass
class StoredData:
    """Everything a transaction can change; snapshotted and restored by the fake UoW."""

    workspaces: dict[uuid.UUID, Workspace] = field(default_factory=dict)
    api_keys: dict[tuple[uuid.UUID, str], datetime] = field(default_factory=dict)
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
    webhook_messages: list[tuple[uuid.UUID, WebhookMessage]] = field(default_factory=list)


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


def _copy_request(request: IntroRequest) -> IntroRequest:
    """A detached copy without pending events (every other field is immutable)."""
    return replace(request, events=[])


def _copy_event(event: Event) -> Event:
    return replace(event, data=copy.deepcopy(event.data))


class FakeWorkspaces:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, workspace: Workspace) -> None:
        if workspace.id in self._store.data.workspaces:
            raise AlreadyExists("workspace exists")
        self._store.data.workspaces[workspace.id] = workspace

    async def get(self, workspace_id: uuid.UUID) -> Workspace | None:
        self._store.counters.workspace_lookups += 1
        return self._store.data.workspaces.get(workspace_id)


class FakeApiKeys:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, workspace_id: uuid.UUID, key_hash: str, created_at: datetime) -> None:
        if (workspace_id, key_hash) in self._store.data.api_keys:
            raise AlreadyExists("api key exists")
        self._store.data.api_keys[(workspace_id, key_hash)] = created_at

    async def exists(self, workspace_id: uuid.UUID, key_hash: str) -> bool:
        self._store.counters.api_key_lookups += 1
        key = (workspace_id, key_hash)
        return key in self._store.data.api_keys and key not in self._store.data.revoked_keys


class FakePeople:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _people(self) -> dict[tuple[uuid.UUID, uuid.UUID], Person]:
        return self._store.data.people

    def _email_taken(self, person: Person) -> bool:
        return any(
            other.workspace_id == person.workspace_id
            and other.id != person.id
            and other.email_key == person.email_key
            for other in self._people.values()
        )

    async def add(self, person: Person) -> None:
        """Raises AlreadyExists when the email is taken in the workspace."""
        if (person.workspace_id, person.id) in self._people or self._email_taken(person):
            raise AlreadyExists("a person with this email already exists", field="email")
        self._people[(person.workspace_id, person.id)] = person

    async def get(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        return self._people.get((workspace_id, person_id))

    async def get_many(
        self, workspace_id: uuid.UUID, ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, Person]:
        return {
            i: self._people[(workspace_id, i)] for i in ids if (workspace_id, i) in self._people
        }

    async def get_by_email(self, workspace_id: uuid.UUID, email: str) -> Person | None:
        key = email.casefold()
        for person in self._people.values():
            if person.workspace_id == workspace_id and person.email_key == key:
                return person
        return None

    async def update(self, person: Person) -> None:
        if self._email_taken(person):
            raise AlreadyExists("a person with this email already exists", field="email")
        self._people[(person.workspace_id, person.id)] = person

    async def lock(self, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
        """Serialise concurrent asks to these people until the transaction ends."""
        self._store.counters.locks.append(tuple(ids))

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        expertise: str | None,
        q: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[Person]:
        found = []
        for person in self._people.values():
            if person.workspace_id != workspace_id or person.erased_at is not None:
                continue
            if expertise and expertise not in person.expertise:
                continue
            if q:
                needle = q.casefold()
                haystacks = (person.name.casefold(), person.headline.casefold(), person.email_key)
                if not any(needle in h for h in haystacks):
                    continue
            if after is not None and person.id <= after:
                continue
            found.append(person)
        found.sort(key=lambda p: p.id)
        items = found[:limit]
        return Page(items, items[-1].id if len(found) > limit else None)


class FakeConnections:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], Connection]:
        return self._store.data.connections

    async def add(self, connection: Connection) -> None:
        """Raises AlreadyExists when the pair is already connected."""
        key = (connection.workspace_id, connection.person_id, connection.other_id)
        if key in self._rows:
            raise AlreadyExists("these people are already connected", field="person_id")
        self._rows[key] = connection

    async def page(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[Connection]:
        found = sorted(
            (
                c
                for c in await self.all_of(workspace_id, person_id)
                if after is None or c.other_id > after
            ),
            key=lambda c: c.other_id,
        )
        items = found[:limit]
        return Page(items, items[-1].other_id if len(found) > limit else None)

    async def all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        return [
            c
            for (ws, person, _), c in self._rows.items()
            if ws == workspace_id and person == person_id
        ]

    async def remove_all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        for key in [k for k in self._rows if k[0] == workspace_id and person_id in (k[1], k[2])]:
            del self._rows[key]


class FakeIntroRequests:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[tuple[uuid.UUID, uuid.UUID], IntroRequest]:
        return self._store.data.requests

    def _open_duplicate(self, request: IntroRequest) -> bool:
        """The unique index on open asks: (workspace, asker, connector, topic) while open."""
        if not request.state.open:
            return False
        key = key_of_topic(request.topic)
        return any(
            other.id != request.id
            and other.workspace_id == request.workspace_id
            and other.state.open
            and other.asker_id == request.asker_id
            and other.connector_id == request.connector_id
            and key_of_topic(other.topic) == key
            for other in self._rows.values()
        )

    def _append_events(self, request: IntroRequest) -> None:
        timeline = self._store.data.events.setdefault((request.workspace_id, request.id), [])
        seen = {e.seq for e in timeline}
        for event in request.events:
            if event.seq in seen:  # the primary key (workspace_id, request_id, seq)
                raise RuntimeError(f"duplicate event seq {event.seq} for {request.id}")
            seen.add(event.seq)
            timeline.append(_copy_event(event))

    async def add(self, request: IntroRequest) -> None:
        """Insert with its pending events; raises DuplicateRequest on an open duplicate."""
        if (request.workspace_id, request.id) in self._rows:
            raise RuntimeError(f"intro request {request.id} already stored")
        if self._open_duplicate(request):
            raise DuplicateRequest("an open request for this topic to this connector exists")
        self._rows[(request.workspace_id, request.id)] = _copy_request(request)
        self._append_events(request)

    async def get(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest | None:
        stored = self._rows.get((workspace_id, request_id))
        return None if stored is None else _copy_request(stored)

    async def save(self, request: IntroRequest) -> None:
        """Write changes and pending events if nobody else saved since we read
        (optimistic concurrency on `version`); else raise ConcurrentUpdate."""
        stored = self._rows.get((request.workspace_id, request.id))
        if stored is None or stored.version != request.version:
            raise ConcurrentUpdate()
        if self._open_duplicate(request):
            raise DuplicateRequest(
                "the asker already has an open request for this topic with that connector"
            )
        request.version += 1
        self._rows[(request.workspace_id, request.id)] = _copy_request(request)
        self._append_events(request)

    async def waiting_on(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[uuid.UUID]:
        return [
            r.id
            for (ws, _), r in self._rows.items()
            if ws == workspace_id
            and (
                (r.state is State.AWAITING_CONNECTOR and r.connector_id == person_id)
                or (r.state is State.AWAITING_EXPERT and r.expert_id == person_id)
            )
        ]

    async def reschedule(self, request: IntroRequest) -> None:
        """The fake's timers are the stored requests' own next_due(); nothing to write."""

    async def claim_due(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        due = sorted(
            (r.next_due(), key) for key, r in self._rows.items() if (d := r.next_due()) and d <= now
        )
        return [key for _, key in due[:limit]]

    async def find_open(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> uuid.UUID | None:
        for request in self._rows.values():
            if (
                request.workspace_id == workspace_id
                and request.state.open
                and request.asker_id == asker_id
                and request.connector_id == connector_id
                and key_of_topic(request.topic) == topic_key
            ):
                return request.id
        return None

    async def load(self, workspace_id: uuid.UUID, person_id: uuid.UUID, role: Role) -> Load:
        """A connector holds the asks waiting on them; an expert the consents waiting on them."""
        if role is Role.CONNECTOR:
            held = [
                r
                for r in self._rows.values()
                if r.workspace_id == workspace_id
                and r.connector_id == person_id
                and r.state is State.AWAITING_CONNECTOR
            ]
        else:
            held = [
                r
                for r in self._rows.values()
                if r.workspace_id == workspace_id
                and r.expert_id == person_id
                and r.state is State.AWAITING_EXPERT
            ]
        deadlines = [r.deadline_at for r in held if r.deadline_at is not None]
        return Load(count=len(held), earliest_deadline=min(deadlines, default=None))

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        person_id: uuid.UUID | None,
        role: Role | None,
        state: State | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[IntroRequest]:
        """Newest first (ids are time-ordered); `after` is the last id of the previous page."""
        found = []
        for request in self._rows.values():
            if request.workspace_id != workspace_id:
                continue
            if person_id is not None:
                if person_id not in request.parties():
                    continue
                if role is not None and request.role_of(person_id) is not role:
                    continue
            if state is not None and request.state is not state:
                continue
            if after is not None and request.id >= after:
                continue
            found.append(request)
        found.sort(key=lambda r: r.id, reverse=True)
        items = [_copy_request(r) for r in found[:limit]]
        return Page(items, items[-1].id if len(found) > limit else None)

    async def events(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> list[Event]:
        timeline = self._store.data.events.get((workspace_id, request_id), [])
        return [_copy_event(e) for e in sorted(timeline, key=lambda e: e.seq)]

    async def scrub_person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        """Remove free text the person wrote (blurbs, notes) from requests and events."""
        for key, request in list(self._rows.items()):
            if request.workspace_id == workspace_id and request.asker_id == person_id:
                self._rows[key] = replace(request, message=_ERASED)
        for (ws, _), timeline in self._store.data.events.items():
            if ws != workspace_id:
                continue
            for i, event in enumerate(timeline):
                if event.actor_id == person_id and event.data.get("note"):
                    timeline[i] = replace(event, data={**event.data, "note": _ERASED})


class FakeOutbox:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None:
        self._store.data.outbox.extend(QueuedEmail(workspace_id, i, now) for i in intents)


class FakeWebhooks:
    """Endpoints and queued webhook messages; enough for the use cases that queue them."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._store.data.webhook_endpoints[(endpoint.workspace_id, endpoint.id)] = endpoint

    async def get(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return self._store.data.webhook_endpoints.get((workspace_id, endpoint_id))

    async def update(self, endpoint: WebhookEndpoint) -> None:
        await self.add(endpoint)

    async def delete(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> None:
        self._store.data.webhook_endpoints.pop((workspace_id, endpoint_id), None)

    async def page(
        self, workspace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[WebhookEndpoint]:
        items = sorted(
            (e for (ws, _), e in self._store.data.webhook_endpoints.items() if ws == workspace_id),
            key=lambda e: e.id,
        )
        items = [e for e in items if after is None or e.id > after]
        return Page(items[:limit], items[limit - 1].id if len(items) > limit else None)

    async def enqueue(
        self, workspace_id: uuid.UUID, messages: list[WebhookMessage], now: datetime
    ) -> None:
        for message in messages:
            for (ws, _), endpoint in self._store.data.webhook_endpoints.items():
                if ws == workspace_id and endpoint.enabled and endpoint.wants(message.event_type):
                    self._store.data.webhook_messages.append((endpoint.id, message))

    async def release_held(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
    ) -> int:
        return 0

    async def deliveries(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[WebhookDelivery]:
        return Page([], None)

    async def retry(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        delivery_id: uuid.UUID,
        now: datetime,
    ) -> WebhookDelivery | None:
        return None


class FakeUnitOfWork:
    """One 'transaction' on the store: rolls back to the last commit on exit."""

    def __init__(self, store: FakeStore, *, write: bool = True) -> None:
        self.store = store
        self.write = write
        self.committed = 0
        self.workspaces = FakeWorkspaces(store)
        self.api_keys = FakeApiKeys(store)
        self.people = FakePeople(store)
        self.connections = FakeConnections(store)
        self.requests = FakeIntroRequests(store)
        self.outbox = FakeOutbox(store)
        self.webhooks = FakeWebhooks(store)
        self._snapshot: StoredData | None = None

    async def __aenter__(self) -> Self:
        if self._snapshot is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        self._snapshot = self.store.snapshot()
        self.store.counters.transactions += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._snapshot is not None
        self.store.restore(self._snapshot)
        self._snapshot = None

    async def commit(self) -> None:
        if self._snapshot is None:
            raise RuntimeError("commit outside a transaction")
        if not self.write:
            raise RuntimeError("commit in a read-only unit of work")
        self._snapshot = self.store.snapshot()
        self.committed += 1
        self.store.counters.commits += 1


class FakeUnitOfWorkFactory:
    """Matches `UnitOfWorkFactory`: a fresh unit of work on one shared store per call."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.created: list[FakeUnitOfWork] = []

    def __call__(self, *, write: bool = True) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store, write=write)
        self.created.append(uow)
        return uow


class FakeMemberTokenCodec:
    """Tokens are opaque strings the codec remembers; anything else is forged."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._issued: dict[str, tuple[uuid.UUID, uuid.UUID, datetime]] = {}
        self.verified = 0

    def mint(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ttl: timedelta
    ) -> tuple[str, datetime]:
        expires = self._now + ttl
        token = f"member.{uuid.uuid4().hex}"
        self._issued[token] = (workspace_id, person_id, expires)
        return token, expires

    def verify(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        """(workspace_id, person_id), or raise Unauthenticated."""
        self.verified += 1
        issued = self._issued.get(token)
        if issued is None:
            raise Unauthenticated("invalid token")
        workspace_id, person_id, expires = issued
        if expires <= self._now:
            raise Unauthenticated("token expired")
        return workspace_id, person_id
