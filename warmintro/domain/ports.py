"""The ports the use cases drive: repositories, the unit of work, clock, tokens.

Each exists because a second adapter needs it: SQL tables in production,
in-memory fakes in the unit tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from warmintro.domain.action_links import ActionClaims, ActionLink
from warmintro.domain.answering import AnswerRecord
from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import IntroRequest, Role, State
from warmintro.domain.matching import MatchScore
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import Connection, Person, Workspace
from warmintro.domain.webhooks import WebhookEndpoint

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: uuid.UUID | int | None
    """Where the next page starts (an id, or an event's seq); None on the last page."""


@dataclass(frozen=True, slots=True)
class Load:
    """How many open asks a person holds in a role, and when the first one ends."""

    count: int
    earliest_deadline: datetime | None


class Clock(Protocol):
    def now(self) -> datetime: ...


class MemberTokenCodec(Protocol):
    def mint(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ttl: timedelta
    ) -> tuple[str, datetime]: ...

    def verify(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        """(workspace_id, person_id), or raise Unauthenticated."""
        ...


class ActionTokenCodec(Protocol):
    def verify(self, token: str) -> ActionClaims:
        """The claims of a genuine link token; raises TokenExpired for one past its
        expiry and Unauthenticated for anything forged, garbled or of another kind."""
        ...


class EmailAddresses(Protocol):
    """What counts as an email address: one mailbox, nothing a header or an SMTP
    envelope could read as a second recipient."""

    def normalise(self, raw: str) -> str:
        """The address in the one form it is stored and compared in; raises
        InvalidInput(field="email") for anything that is not one plain address."""
        ...


class AddressCheck(Protocol):
    """Where webhooks may go (the SSRF guard)."""

    allow_http_loopback: bool
    """Plain http to loopback, for development only."""

    async def check(self, url: str) -> None:
        """Raise InvalidInput unless the URL's host resolves to addresses we may call."""
        ...


class WorkspaceRepository(Protocol):
    async def add(self, workspace: Workspace) -> None: ...
    async def get(self, workspace_id: uuid.UUID) -> Workspace | None: ...
    async def update(self, workspace: Workspace) -> None: ...
    async def named(self, name: str) -> list[Workspace]:
        """Workspaces called `name` (names need not be unique), oldest first."""
        ...

    async def every(self) -> list[Workspace]:
        """All workspaces, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A workspace API key as anyone may see it: never its value, nor its hash."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey, key_hash: str) -> None: ...
    async def exists(self, workspace_id: uuid.UUID, key_hash: str) -> bool:
        """True for a key of this workspace that is not revoked."""
        ...

    async def listed(self, workspace_id: uuid.UUID) -> list[ApiKey]:
        """Every key of the workspace, revoked ones too, oldest first."""
        ...

    async def revoke(self, workspace_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> None:
        """Mark the key revoked at `at`; a key revoked already keeps its first date.
        Holds the workspace's keys against a concurrent revocation until commit."""
        ...


class Retention(Protocol):
    async def purge(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        """Delete at most `limit` rows of the workspace that are done and older than
        `before`: sent, skipped and failed emails, delivered webhook deliveries (with
        their attempts), spent and expired action links. Never an email still to be
        sent, an event or a request. Answers how many rows went."""
        ...


class PersonRepository(Protocol):
    async def add(self, person: Person) -> None:
        """Raises AlreadyExists when the email is taken in the workspace."""
        ...

    async def get(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None: ...
    async def get_many(
        self, workspace_id: uuid.UUID, ids: set[uuid.UUID], *, lock: bool = False
    ) -> dict[uuid.UUID, Person]:
        """Those of `ids` who exist. With `lock`, as `lock` does for them too: one
        round trip where a check must be serial."""
        ...

    async def get_by_email(self, workspace_id: uuid.UUID, email: str) -> Person | None: ...
    async def update(self, person: Person) -> None: ...
    async def erase_traces(self, workspace_id: uuid.UUID, person_id: uuid.UUID, email: str) -> None:
        """Remove an erased person from stored API responses and webhook logs."""
        ...

    async def lock(self, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
        """Serialise concurrent asks to these people until the transaction ends."""
        ...

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        expertise: str | None,
        q: str | None,
        after: uuid.UUID | None,
        limit: int,
        match_email: bool = True,
    ) -> Page[Person]:
        """People oldest first. `q` is a search (domain/matching.py): every word in the
        tags, headline or bio, or starting a word of the name; with `match_email`, a
        `q` that looks like part of an email address also matches in addresses."""
        ...

    async def by_emails(self, workspace_id: uuid.UUID, keys: Collection[str]) -> dict[str, Person]:
        """The people with these email keys (`Person.email_key`), by key."""
        ...

    async def add_many(self, new: list[Person]) -> None:
        """Insert people in bulk; raises AlreadyExists when an email is taken."""
        ...

    async def update_many(self, changed: list[Person]) -> None:
        """Rewrite people in bulk (never their email)."""
        ...


@dataclass(frozen=True, slots=True)
class Match:
    """A person whose tags, headline or bio match a text, as the database ranks them."""

    person: Person
    score: MatchScore
    strength: int = 0
    """The strength of the connection they were found through (0 if none)."""


@dataclass(frozen=True, slots=True)
class Knower:
    """One of a person's connections, found by how many of *their* connections match
    a text."""

    match: Match
    """Who they are, the strength of the connection, and how they match the text
    themselves (a zero score when they do not)."""
    matching: int
    """How many of their connections match the text."""


class PeopleMatching(Protocol):
    """Matching people to a text as words (domain/matching.py says how), in the
    database: bounded, ranked, and never an erased person. Warm paths reuse it."""

    async def connections_matching(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        text: str,
        *,
        exclude: frozenset[uuid.UUID],
        askable_at: datetime | None,
        limit: int,
    ) -> list[Match]:
        """The person's connections whose tags, headline or bio match the text (a
        topic), best match first, then the stronger connection; never those in
        `exclude`; with `askable_at`, only people who may be asked then (reachable,
        not snoozed)."""
        ...

    async def connections_among(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ids: set[uuid.UUID], text: str
    ) -> list[Match]:
        """Those of `ids` who are the person's connections (never an erased person),
        each with the strength of that connection and how they match the text (a
        topic): a zero score when they do not. In no particular order."""
        ...

    async def count_connections_matching(
        self,
        workspace_id: uuid.UUID,
        person_ids: set[uuid.UUID],
        text: str,
        *,
        discoverable_only: bool = True,
        exclude: frozenset[uuid.UUID] = frozenset(),
    ) -> dict[uuid.UUID, int]:
        """For each of these people, how many of their connections match the text
        (a topic), counted in the database; with `discoverable_only`, only people
        who let warm-path search count them; never anyone in `exclude`. People
        with none are left out."""
        ...

    async def connections_by_network(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        text: str,
        *,
        exclude: frozenset[uuid.UUID],
        limit: int,
    ) -> list[Knower]:
        """The person's connections with the most connections of their own that match
        the text (a topic), and how many: counted in the database, only people who
        are discoverable, never anyone in `exclude` (as a connection or as one
        counted); most first, at most `limit`; never an erased person."""
        ...

    async def connections_listed(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        *,
        q: str,
        exclude: frozenset[uuid.UUID],
        first: tuple[uuid.UUID, ...] = (),
        only: frozenset[uuid.UUID] | None = None,
        limit: int,
        count_up_to: int,
    ) -> tuple[list[Person], int]:
        """The person's connections who may be asked (reachable; never `exclude`) that
        the search `q` matches (everyone if empty; the rules of a people search),
        those in `first` first in that order, then by name; at most `limit`, and how
        many matched in all, counted up to `count_up_to` (more answers one more than
        that). `only` keeps just those people."""
        ...


class ConnectionRepository(Protocol):
    async def add(self, connection: Connection) -> None:
        """Raises AlreadyExists when the pair is already connected."""
        ...

    async def page(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[Connection]: ...
    async def all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]: ...
    async def between(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, other_id: uuid.UUID
    ) -> Connection | None:
        """`person_id`'s connection to `other_id`, if they recorded one."""
        ...

    async def all_to(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        """Connections others recorded to this person."""
        ...

    async def remove_all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None: ...
    async def among(
        self, workspace_id: uuid.UUID, pairs: Collection[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], Connection]:
        """The connections of these (person_id, other_id) pairs that exist."""
        ...

    async def add_many(self, new: list[Connection]) -> None:
        """Insert in bulk; raises AlreadyExists when a pair is already connected."""
        ...

    async def update_many(self, changed: list[Connection]) -> None:
        """Rewrite the strength and context of existing pairs in bulk."""
        ...


class IntroRequestRepository(Protocol):
    async def add(self, request: IntroRequest) -> None:
        """Insert with its pending events; raises DuplicateRequest on an open duplicate."""
        ...

    async def get(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest | None: ...

    async def save(self, request: IntroRequest) -> None:
        """Write changes and pending events if nobody else saved since we read
        (optimistic concurrency on `version`); else raise ConcurrentUpdate."""
        ...

    async def find_open(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> uuid.UUID | None: ...
    async def load(self, workspace_id: uuid.UUID, person_id: uuid.UUID, role: Role) -> Load: ...
    async def find_open_with_load(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> tuple[uuid.UUID | None, Load]:
        """`find_open` and the connector's `load` as connector, in one read: the two
        checks before an ask."""
        ...

    async def loads(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], role: Role
    ) -> dict[uuid.UUID, Load]:
        """`load` of many people in one query; people holding none are left out."""
        ...

    async def answer_records(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], *, recent: int
    ) -> dict[uuid.UUID, AnswerRecord]:
        """How each person answered their `recent` most recent asks as a connector
        (the newest requests that named them connector; domain/answering.py), read
        in one query bounded by `recent` per person; every person gets a record."""
        ...

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        person_id: uuid.UUID | None,
        role: Role | None,
        state: State | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[IntroRequest]: ...
    async def events(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> list[Event]: ...
    async def waiting_on(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[uuid.UUID]:
        """Open requests waiting on this person, as connector or as expert."""
        ...

    async def reschedule(self, request: IntroRequest) -> None:
        """Keep the request's durable timer at `request.next_due()` (or drop it)."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(workspace_id, request_id) of requests whose timer is due, locked for this
        transaction; rows another worker holds are skipped."""
        ...

    async def scrub_person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        """Remove free text the person wrote (blurbs, notes) and the address and name a
        connector typed for them, from requests and events."""
        ...


class ActionLinkRepository(Protocol):
    async def add(self, link: ActionLink) -> None: ...
    async def get(self, workspace_id: uuid.UUID, token_hash: str) -> ActionLink | None:
        """The link with this token hash, or None if it was never issued (or revoked)."""
        ...

    async def mark_used(
        self, workspace_id: uuid.UUID, token_hash: str, action: str, at: datetime
    ) -> None:
        """Record the decision the link took; the first one stands."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued email as an operator sees it: no address, no body, no link."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    workspace_name: str
    template: str
    status: str
    attempts: int
    created_at: datetime
    last_error: str | None


class Outbox(Protocol):
    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None: ...

    async def entries(
        self, *, workspace_id: uuid.UUID | None, status: str | None, limit: int
    ) -> list[OutboxEntry]:
        """Queued emails of every workspace (or one), newest first."""
        ...

    async def retry_failed(
        self, *, workspace_id: uuid.UUID | None, ids: list[uuid.UUID] | None, now: datetime
    ) -> list[uuid.UUID]:
        """Put failed emails (these `ids`, or all of them) back in the queue, due `now`
        with their attempts reset; returns the ids queued again."""
        ...


class UnitOfWork(Protocol):
    """One transaction per use case; rolls back unless `commit` was called."""

    @property
    def workspaces(self) -> WorkspaceRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def people(self) -> PersonRepository: ...
    @property
    def connections(self) -> ConnectionRepository: ...
    @property
    def matching(self) -> PeopleMatching: ...
    @property
    def requests(self) -> IntroRequestRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def provider_events(self) -> ProviderEventLog: ...
    @property
    def action_links(self) -> ActionLinkRepository: ...
    @property
    def retention(self) -> Retention: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = True) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class Address:
    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """A rendered email, ready for any transport. `message_id` is stable across
    retries of the same outbox row, so a duplicate send is recognisable."""

    message_id: str
    sender: Address
    to: Address
    subject: str
    text: str
    html: str
    cc: tuple[Address, ...] = ()
    also_to: tuple[Address, ...] = ()
    """Further people in To beside `to` (an introduction goes To both sides)."""
    reply_to: Address | None = None
    headers: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    """Provider metadata (SendGrid custom_args): the outbox message and request ids."""


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> str | None:
        """Hand the email to the transport; returns the provider's id if it gives one.
        Raises SendFailed (transient or permanent) when the transport refuses."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    attempt: int
    at: datetime
    status_code: int | None
    duration_ms: int
    response_snippet: str
    error: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_type: str
    payload: dict[str, object]
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime
    history: tuple[WebhookAttempt, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One event to deliver to every endpoint that wants its type."""

    event_id: uuid.UUID | None
    event_type: EventType
    payload: dict[str, object]


class WebhookRepository(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...
    async def get(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint | None: ...
    async def update(self, endpoint: WebhookEndpoint) -> None: ...
    async def delete(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
    ) -> None: ...
    async def page(
        self, workspace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[WebhookEndpoint]: ...
    async def enqueue(
        self, workspace_id: uuid.UUID, messages: list[WebhookMessage], now: datetime
    ) -> None:
        """One delivery per (message, endpoint that wants its type); held while the
        endpoint is disabled."""
        ...

    async def release_held(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
    ) -> int:
        """Queue the deliveries held while the endpoint was disabled."""
        ...

    async def deliveries(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[WebhookDelivery]:
        """Newest first, each with its attempts."""
        ...

    async def retry(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID, now: datetime
    ) -> WebhookDelivery | None:
        """Queue a delivery to go again now; None if there is no such delivery."""
        ...


class ProviderEventLog(Protocol):
    """What the email provider told us about sent mail, each event once."""

    async def first_time(
        self,
        workspace_id: uuid.UUID,
        event_id: str,
        kind: str,
        outbox_id: uuid.UUID | None,
        now: datetime,
    ) -> bool:
        """Record the event; False when it was recorded before (providers resend)."""
        ...

    async def mark_outbox(
        self, workspace_id: uuid.UUID, outbox_id: uuid.UUID, kind: str, at: datetime
    ) -> None:
        """Note a delivery or an open on the outbox message."""
        ...
