"""Every use case, as the command that asks for it.

A `Command[R]` is asked by a caller (an API key or a member) and answers R; a
`SystemCommand[R]` is asked by the service itself (the worker, the command
line) or on a credential its use case checks (an email link's token). The JSON
API, the email pages, the CLI and the worker all go through `UseCases`
(`warmintro.domain.use_cases`) with these, so each rule is enforced once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Generic, TypeVar

from warmintro.domain.action_links import RESUBSCRIBE, UNSUBSCRIBE, LinkOutcome, LinkPage
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import Action, DeclineReason, Rating, Role, State
from warmintro.domain.people import Connection, Person, Preferences, Workspace
from warmintro.domain.people_import import ImportReport, ImportRow, RowError
from warmintro.domain.ports import ApiKey, OutboxEntry, Page, WebhookDelivery
from warmintro.domain.suggestions import Suggestion
from warmintro.domain.views import EventView, RequestView
from warmintro.domain.warm_paths import WarmPath
from warmintro.domain.webhooks import WebhookEndpoint

R = TypeVar("R", covariant=True)

MAX_KEY_LABEL = 100


class Command(Generic[R]):
    """Asked by a caller, with the caller's Principal; answers R."""

    __slots__ = ()


class SystemCommand(Generic[R]):
    """Asked by the service itself, or on a credential the use case checks; answers R."""

    __slots__ = ()


# ---- decisions on a request ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewPerson:
    """Someone not yet in the workspace, named by email."""

    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Propose:
    """The current connector names an expert: a known one, or someone new by email."""

    action: ClassVar[str] = Action.PROPOSE
    expert_id: uuid.UUID | None = None
    expert: NewPerson | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.expert_id is None) == (self.expert is None):
            raise InvalidInput("give exactly one of expert_id or expert", field="expert_id")


@dataclass(frozen=True, slots=True)
class Forward:
    """The current connector passes the ask on: to a known person, or someone new by email."""

    action: ClassVar[str] = Action.FORWARD
    connector_id: uuid.UUID | None = None
    connector: NewPerson | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.connector_id is None) == (self.connector is None):
            raise InvalidInput(
                "give exactly one of connector_id or connector", field="connector_id"
            )


@dataclass(frozen=True, slots=True)
class Decline:
    action: ClassVar[str] = Action.DECLINE
    reason: DeclineReason
    note: str = ""


@dataclass(frozen=True, slots=True)
class Accept:
    action: ClassVar[str] = Action.ACCEPT
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cancel:
    action: ClassVar[str] = Action.CANCEL


@dataclass(frozen=True, slots=True)
class GiveFeedback:
    action: ClassVar[str] = Action.FEEDBACK
    rating: Rating
    note: str = ""


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """What an unsubscribe link does: never contact this person again."""

    action: ClassVar[str] = UNSUBSCRIBE


@dataclass(frozen=True, slots=True)
class Resubscribe:
    """The undo of an unsubscribe: the person may be contacted again. It takes back
    only their own "never contact me"; an address that bounced stays suppressed."""

    action: ClassVar[str] = RESUBSCRIBE


Decision = Propose | Forward | Decline | Accept | Cancel | GiveFeedback


# ---- intro requests ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateIntroRequest(Command[RequestView]):
    connector_id: uuid.UUID
    topic: str
    message: str
    asker_id: uuid.UUID | None = None
    """Required with an API key; a member asks for themself."""
    target_id: uuid.UUID | None = None
    fallback_connector_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class Decide(Command[RequestView]):
    """One party's decision on a request, taken as the caller's acting person."""

    request_id: uuid.UUID
    decision: Decision


@dataclass(frozen=True, slots=True)
class GetIntroRequest(Command[RequestView]):
    request_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListIntroRequests(Command[Page[RequestView]]):
    role: Role | None = None
    state: State | None = None
    after: uuid.UUID | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ListEvents(Command[Page[EventView]]):
    request_id: uuid.UUID
    after_seq: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class SuggestExperts(Command[list[Suggestion]]):
    request_id: uuid.UUID
    limit: int = 10


@dataclass(frozen=True, slots=True)
class FindWarmPaths(Command[list[WarmPath]]):
    """The asker's own connections most likely to help with `topic` (or, with
    `target_id`, those who know the target); `asker_id` None means the caller."""

    topic: str
    asker_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None
    limit: int = 10


# ---- email links -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShowActionLink(SystemCommand[LinkPage]):
    """What the page behind a link shows; changes nothing (mail scanners fetch links).
    A connector's page may be opened on one expert (a suggestion's own link in the
    ask email) and may search the connector's connections."""

    token: str
    expert_id: uuid.UUID | None = None
    query: str = ""


@dataclass(frozen=True, slots=True)
class UseActionLink(SystemCommand[LinkOutcome]):
    """Take the link's decision: None when the form asked for nothing it knows."""

    token: str
    decision: Decision | Unsubscribe | Resubscribe | None


# ---- people ----------------------------------------------------------------------


UNSET: object = object()
"""For optional fields where None is a value: 'leave as is'."""


@dataclass(frozen=True, slots=True)
class CreatePerson(Command[Person]):
    email: str
    name: str
    headline: str = ""
    expertise: tuple[str, ...] = ()
    bio: str = ""
    preferences: Preferences = field(default_factory=Preferences)


@dataclass(frozen=True, slots=True)
class GetPerson(Command[Person]):
    person_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListPeople(Command[Page[Person]]):
    expertise: str | None = None
    q: str | None = None
    after: uuid.UUID | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class UpdatePerson(Command[Person]):
    """Only the fields given change; None (or UNSET where None is a value) leaves as is."""

    person_id: uuid.UUID
    email: str | None = None
    name: str | None = None
    headline: str | None = None
    expertise: tuple[str, ...] | None = None
    bio: str | None = None
    ask_budget: int | object | None = UNSET
    snooze_until: datetime | object | None = UNSET
    never_contact: bool | None = None
    discoverable: bool | None = None


@dataclass(frozen=True, slots=True)
class AddConnection(Command[Connection]):
    """`mutual` records the reverse direction too, with the same strength and context."""

    person_id: uuid.UUID
    other_id: uuid.UUID
    strength: int
    context: str = ""
    mutual: bool = False


@dataclass(frozen=True, slots=True)
class ImportPeople(Command[ImportReport]):
    """People in bulk (a workspace API key only). `rejected`: rows the file reader
    could not make into a row at all, reported with the others."""

    rows: tuple[ImportRow, ...]
    rejected: tuple[RowError, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportPeopleInto(SystemCommand[ImportReport]):
    """The same import from the command line, into the workspace named (or with that id)."""

    workspace: str
    rows: tuple[ImportRow, ...]
    rejected: tuple[RowError, ...] = ()


@dataclass(frozen=True, slots=True)
class ListConnections(Command[Page[Connection]]):
    person_id: uuid.UUID
    after: uuid.UUID | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class MemberToken:
    token: str
    person_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class MintMemberToken(Command[MemberToken]):
    person_id: uuid.UUID
    ttl: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ErasePerson(Command[None]):
    person_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PersonExport:
    """Everything held about a person, as they may see it."""

    person: Person
    connections: list[Connection]
    known_by: list[Connection]
    """Connections others recorded to this person."""
    requests: list[RequestView]
    events: list[EventView]
    """Events the person caused."""


@dataclass(frozen=True, slots=True)
class ExportPerson(Command[PersonExport]):
    person_id: uuid.UUID


# ---- workspaces ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewWorkspace:
    workspace: Workspace
    api_key: str
    """The key's plain value: shown once, stored only as a hash."""


@dataclass(frozen=True, slots=True)
class CreateWorkspace(SystemCommand[NewWorkspace]):
    name: str


@dataclass(frozen=True, slots=True)
class GetWorkspace(Command[Workspace]):
    pass


@dataclass(frozen=True, slots=True)
class UpdateWorkspace(Command[Workspace]):
    """Only the fields given change."""

    name: str | None = None
    timing: dict[str, timedelta] | None = None
    budgets: dict[str, int] | None = None


# ---- webhooks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateEndpoint(Command[WebhookEndpoint]):
    url: str
    event_types: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class GetEndpoint(Command[WebhookEndpoint]):
    endpoint_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListEndpoints(Command[Page[WebhookEndpoint]]):
    after: uuid.UUID | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class DeleteEndpoint(Command[None]):
    endpoint_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RotateSecret(Command[WebhookEndpoint]):
    endpoint_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class EnableEndpoint(Command[WebhookEndpoint]):
    endpoint_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListDeliveries(Command[Page[WebhookDelivery]]):
    endpoint_id: uuid.UUID
    after: uuid.UUID | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class RetryDelivery(Command[WebhookDelivery]):
    endpoint_id: uuid.UUID
    delivery_id: uuid.UUID


# ---- time and deliverability -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FireDueTimers(SystemCommand[int]):
    """Apply what time has brought (reminders, expiry, hand-offs, the feedback ask);
    answers how many timers fired."""

    limit: int = 20


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """What the email provider reported about one email."""

    workspace_id: uuid.UUID
    event_id: str
    kind: str
    email: str
    outbox_id: uuid.UUID | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RecordProviderEvents(SystemCommand[int]):
    """Act on delivery events (bounces, spam reports, …); answers how many were new."""

    events: tuple[ProviderEvent, ...]


# ---- mail that failed, for operators -----------------------------------------------------

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class ListOutbox(SystemCommand[list[OutboxEntry]]):
    """Queued emails, newest first: of one workspace (named, or by id) or of all."""

    workspace: str | None = None
    status: str | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in OUTBOX_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(OUTBOX_STATUSES)}")


@dataclass(frozen=True, slots=True)
class RetryFailedEmails(SystemCommand[list[uuid.UUID]]):
    """Send failed emails again: these `ids`, or with none, every failed one (of
    `workspace`, if given); answers the ids queued again."""

    ids: tuple[uuid.UUID, ...] = ()
    workspace: str | None = None


# ---- API keys and retention ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: ApiKey
    plain: str
    """The key's value: shown once, stored only as a hash."""


def _label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_KEY_LABEL:
        raise InvalidInput(f"a key's label is at most {MAX_KEY_LABEL} characters", field="label")
    return label


@dataclass(frozen=True, slots=True)
class CreateApiKey(Command[NewApiKey]):
    """Another key for the caller's workspace (a workspace API key only)."""

    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", _label(self.label))


@dataclass(frozen=True, slots=True)
class ListApiKeys(Command[list[ApiKey]]):
    pass


@dataclass(frozen=True, slots=True)
class RevokeApiKey(Command[ApiKey]):
    key_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CreateWorkspaceApiKey(SystemCommand[NewApiKey]):
    """From the command line: a key for the workspace named (or with that id)."""

    workspace: str
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", _label(self.label))


@dataclass(frozen=True, slots=True)
class ListWorkspaceApiKeys(SystemCommand[list[ApiKey]]):
    workspace: str


@dataclass(frozen=True, slots=True)
class RevokeWorkspaceApiKey(SystemCommand[ApiKey]):
    workspace: str
    key_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PurgeExpired(SystemCommand[int]):
    """Delete what each workspace keeps no longer than its `Timing.retention`, at most
    `limit` rows; answers how many rows went."""

    limit: int = 500
