"""Request and response bodies. Field names are part of the public contract."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from annotated_types import Interval
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from warmintro.domain import commands as cmd
from warmintro.domain.commands import MAX_KEY_LABEL
from warmintro.domain.events import EventType
from warmintro.domain.intro_request import (
    MAX_FALLBACKS,
    MAX_MESSAGE,
    MAX_NOTE,
    MAX_TOPIC,
    DeclineReason,
    Rating,
    Role,
    State,
)
from warmintro.domain.people import (
    MAX_BIO,
    MAX_CONTEXT,
    MAX_HEADLINE,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    Connection,
    Person,
    Workspace,
)
from warmintro.domain.ports import ApiKey, WebhookDelivery
from warmintro.domain.suggestions import Suggestion
from warmintro.domain.views import EventView, RequestView
from warmintro.domain.webhooks import EVENT_TYPES, WebhookEndpoint

T = TypeVar("T")
NO_NUL = r"^[^\x00]*$"

ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
"""Names, emails, topics and headlines end up in email headers: no line breaks."""
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, pattern=ONE_LINE)]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254, pattern=ONE_LINE),
    Field(
        json_schema_extra={"format": "email"},
        description="An address that can receive mail: one plain mailbox, its local part "
        "in ASCII; special-use domains (.test, .invalid, .localhost…) are refused.",
    ),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG, pattern=ONE_LINE)]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE)]


def _text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("a time is written as text (RFC 3339)")
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("a number is written as a JSON number")
    return value


JSON_NUMBER = BeforeValidator(_number)
Whole = Annotated[int, JSON_NUMBER]
"""An integer, as a JSON number (55.0 is one; "55" and true are not)."""
# Bounds go before the validator, or the spec shows them under pydantic's own names.
AskBudget = Annotated[int, Interval(ge=0, le=100), JSON_NUMBER]
OpenAsks = Annotated[int, Interval(ge=1, le=100), JSON_NUMBER]
Instant = Annotated[AwareDatetime, BeforeValidator(_text)]
"""A time with its UTC offset, as RFC 3339 text (pydantic alone would take a number
of seconds too)."""


class Input(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error, not silence,
    and NUL characters, which no text here needs and PostgreSQL cannot store.
    Numbers, booleans and times are taken only as the JSON type the spec names
    (`Whole`, `Instant`, `strict`): no "5" for 5, no 1 for true, no number for a
    time."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


# ---- people ------------------------------------------------------------------


class PreferencesIn(Input):
    ask_budget: AskBudget | None = Field(
        default=None,
        description=(
            "Most open asks this person holds at once, as connector or expert; "
            "null uses the workspace default."
        ),
    )
    snooze_until: Instant | None = Field(
        default=None, description="No new asks reach them before this time (with a UTC offset)."
    )
    never_contact: bool = Field(
        default=False, strict=True, description="Never send this person an ask."
    )
    discoverable: bool = Field(
        default=True,
        strict=True,
        description="Warm-path search may count this person as someone a connector "
        "knows. Their own connections still see them as suggestions.",
    )


class PreferencesPatch(Input):
    ask_budget: AskBudget | None = None
    snooze_until: Instant | None = None
    never_contact: bool | None = Field(default=None, strict=True)
    discoverable: bool | None = Field(default=None, strict=True)


class PersonIn(Input):
    email: Email
    name: Name
    headline: Annotated[str, StringConstraints(max_length=MAX_HEADLINE, pattern=ONE_LINE)] = ""
    expertise: Annotated[list[Tag], Field(max_length=MAX_TAGS)] = []
    bio: Annotated[str, StringConstraints(max_length=MAX_BIO)] = ""
    preferences: PreferencesIn = PreferencesIn()


class PersonPatch(Input):
    """Only the fields sent change."""

    email: Email | None = None
    name: Name | None = None
    headline: (
        Annotated[str, StringConstraints(max_length=MAX_HEADLINE, pattern=ONE_LINE)] | None
    ) = None
    expertise: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = None
    bio: Annotated[str, StringConstraints(max_length=MAX_BIO)] | None = None
    preferences: PreferencesPatch | None = None


class PreferencesOut(BaseModel):
    ask_budget: int | None
    snooze_until: datetime | None
    never_contact: bool
    discoverable: bool


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str
    headline: str
    expertise: list[str]
    bio: str
    email: str | None = Field(description="Shown to API keys and to the person themself only.")
    email_status: Literal["ok", "bounced", "suppressed"] | None = None
    preferences: PreferencesOut | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, person: Person, *, private: bool) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            headline=person.headline,
            expertise=list(person.expertise),
            bio=person.bio,
            email=person.email if private else None,
            email_status=person.email_status.value if private else None,
            preferences=PreferencesOut(
                ask_budget=person.preferences.ask_budget,
                snooze_until=person.preferences.snooze_until,
                never_contact=person.preferences.never_contact,
                discoverable=person.preferences.discoverable,
            )
            if private
            else None,
            created_at=person.created_at,
            updated_at=person.updated_at,
        )


class ConnectionIn(Input):
    person_id: uuid.UUID = Field(description="The person they know.")
    strength: Whole = Field(ge=1, le=5, description="1 = met once, 5 = close.")
    context: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = Field(
        default="", description="How they know each other."
    )
    mutual: bool = Field(
        default=False,
        strict=True,
        description="Record the other direction too (they know this person), with the "
        "same strength and context; a direction they recorded already is left as it is.",
    )


class ConnectionOut(BaseModel):
    person_id: uuid.UUID
    strength: int
    context: str
    created_at: datetime

    @classmethod
    def of(cls, c: Connection) -> ConnectionOut:
        return cls(
            person_id=c.other_id, strength=c.strength, context=c.context, created_at=c.created_at
        )


class TokenIn(Input):
    ttl_seconds: Whole = Field(default=3600, ge=60, le=86400)


class TokenOut(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    person_id: uuid.UUID
    expires_at: datetime


# ---- intro requests ---------------------------------------------------------------


class IntroRequestIn(Input):
    asker_id: uuid.UUID | None = Field(
        default=None, description="Required with an API key; a member token asks for itself."
    )
    connector_id: uuid.UUID
    topic: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOPIC, pattern=ONE_LINE)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE)] = Field(
        description="A self-contained, forwardable blurb: who you are and what you hope to learn."
    )
    target_id: uuid.UUID | None = Field(
        default=None,
        description="Someone in particular you hope to meet. Your connector's email and page"
        " name them (name and headline), they come first among the connector's suggestions"
        " when the connector knows them, and if they are asked they learn you asked for them.",
    )
    fallback_connector_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_FALLBACKS)] = Field(
        default=[],
        description="Tried one at a time, in order, if a connector says no or does not answer.",
    )

    def command(self) -> cmd.CreateIntroRequest:
        return cmd.CreateIntroRequest(
            asker_id=self.asker_id,
            connector_id=self.connector_id,
            topic=self.topic,
            message=self.message,
            target_id=self.target_id,
            fallback_connector_ids=tuple(self.fallback_connector_ids),
        )


class NewExpertIn(Input):
    email: Email
    name: Name


class ProposeIn(Input):
    expert_id: uuid.UUID | None = None
    expert: NewExpertIn | None = Field(
        default=None, description="Someone named by email: found by it if known, else added."
    )
    note: Note = ""

    def decision(self) -> cmd.Propose:
        new = cmd.NewPerson(self.expert.email, self.expert.name) if self.expert else None
        return cmd.Propose(expert_id=self.expert_id, expert=new, note=self.note)


class NewConnectorIn(Input):
    email: Email
    name: Name


class ForwardIn(Input):
    connector_id: uuid.UUID | None = None
    connector: NewConnectorIn | None = Field(
        default=None, description="Someone named by email: found by it if known, else added."
    )
    note: Note = ""

    def decision(self) -> cmd.Forward:
        new = cmd.NewPerson(self.connector.email, self.connector.name) if self.connector else None
        return cmd.Forward(connector_id=self.connector_id, connector=new, note=self.note)


GivenReason = Literal["busy", "not_a_fit", "not_now", "other"]
"""The reasons a person may give; `no_answer` is recorded by time alone."""


class DeclineIn(Input):
    reason: GivenReason
    note: Note = ""

    def decision(self) -> cmd.Decline:
        return cmd.Decline(reason=DeclineReason(self.reason), note=self.note)


class AcceptIn(Input):
    note: Note = ""

    def decision(self) -> cmd.Accept:
        return cmd.Accept(note=self.note)


class FeedbackIn(Input):
    rating: Rating
    note: Note = ""

    def decision(self) -> cmd.GiveFeedback:
        return cmd.GiveFeedback(rating=self.rating, note=self.note)


class IntroRequestOut(BaseModel):
    id: uuid.UUID
    state: State
    asker_id: uuid.UUID
    connector_id: uuid.UUID | None = Field(
        description=(
            "Who holds the ask now; null to a connector who passed it on to someone they"
            " named by email (the forward's `named_as` says whom: the address and name typed)."
        )
    )
    expert_id: uuid.UUID | None = Field(
        description=(
            "The proposed expert; the asker sees it only once the expert accepts, and so"
            " does a connector who named them by email (until then, the events about them"
            " carry `named_as`: the address and name typed)."
        )
    )
    target_id: uuid.UUID | None = Field(
        description="The person the asker hopes to meet; not shown to an expert who is"
        " someone else."
    )
    fallback_connector_ids: list[uuid.UUID] | None = Field(
        description="Connectors still to try; not shown to experts."
    )
    topic: str
    message: str
    hops: int
    decline_reason: DeclineReason | None = Field(
        description="Why the last expert or connector declined; shown to connectors only."
    )
    feedback_rating: Rating | None
    viewer_role: Role | None = Field(
        description="The caller's part in this request; null for an API key acting for nobody."
    )
    deadline_at: datetime | None
    introduced_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: RequestView) -> IntroRequestOut:
        """The domain's projection, field for field: who sees what is decided there."""
        fields = {name: getattr(view, name) for name in cls.model_fields}
        return cls.model_validate(fields)


class EventOut(BaseModel):
    id: uuid.UUID
    seq: int = Field(
        description="The event's place in the caller's timeline, 1..n: no gap shows where "
        "events the caller may not see were."
    )
    type: str
    actor_id: uuid.UUID | None
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, e: EventView) -> EventOut:
        return cls(
            id=e.id,
            seq=e.seq,
            type=e.type,
            actor_id=e.actor_id,
            occurred_at=e.occurred_at,
            data=e.data,
        )


class SuggestionOut(BaseModel):
    person_id: uuid.UUID
    name: str
    headline: str
    expertise: list[str]
    strength: int
    score: float
    matched: list[str]
    target: bool = Field(
        description="The person the asker hopes to meet (the request's `target_id`): "
        "listed first whenever the connector knows them, even if they match nothing of "
        "the topic (then with score 0)."
    )

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionOut:
        return cls(
            person_id=s.person.id,
            name=s.person.name,
            headline=s.person.headline,
            expertise=list(s.person.expertise),
            strength=s.strength,
            score=s.score,
            matched=list(s.matched),
            target=s.target,
        )


class Problem(BaseModel):
    """An RFC 9457 problem detail; `code` is stable, `detail` is for humans."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    current_state: str | None = None
    errors: list[dict[str, Any]] | None = None


# ---- webhooks -------------------------------------------------------------------------


PORT = r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
HOST = r"[A-Za-z0-9._~%!$&'()*+,;=-]+"
"""A host name or IPv4 address, in ASCII (an internationalised name in its
punycode form)."""
REST = r"(?:[/?#][^\x00-\x20\x7f-\x9f]*)?"
"""Path, query and fragment: no spaces or control characters."""
WEBHOOK_URL = rf"^(?:https://{HOST}|http://(?:localhost|127\.0\.0\.1|\[::1\])){PORT}{REST}$"
"""An absolute URL with a host and no credentials: https, or http to loopback
(accepted only with ALLOW_PRIVATE_WEBHOOKS)."""


class WebhookEndpointIn(Input):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=WEBHOOK_URL)] = (
        Field(
            description="https (plain http only to loopback, with ALLOW_PRIVATE_WEBHOOKS=true); "
            "must resolve to public addresses only, checked again at every connection, unless "
            "ALLOW_PRIVATE_WEBHOOKS=true."
        )
    )
    event_types: Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))] = Field(
        default=[], description="Types to receive; empty for all."
    )
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class WebhookEndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    secret: str | None = Field(
        default=None,
        description="The signing secret (whsec_…): only in the response that "
        "creates or rotates it.",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint, *, with_secret: bool = False) -> WebhookEndpointOut:
        return cls(
            id=e.id,
            url=e.url,
            description=e.description,
            event_types=list(e.event_types),
            enabled=e.enabled,
            disabled_reason=e.disabled_reason,
            secret=e.secret if with_secret else None,
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


class WebhookAttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    duration_ms: int
    response_snippet: str
    error: str | None


class WebhookDeliveryOut(BaseModel):
    id: uuid.UUID
    webhook_id: str = Field(description="The `webhook-id` header, the same on every retry.")
    event_type: str
    payload: dict[str, Any]
    status: Literal["pending", "sending", "delivered", "failed", "held"] = Field(
        description="held: the endpoint is disabled; enabling it sends these."
    )
    attempts: list[WebhookAttemptOut]
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, d: WebhookDelivery) -> WebhookDeliveryOut:
        return cls(
            id=d.id,
            webhook_id=f"msg_{d.id.hex}",
            event_type=d.event_type,
            payload=dict(d.payload),
            status=d.status,  # type: ignore[arg-type]
            attempts=[WebhookAttemptOut(**vars_of(a)) for a in d.history],
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            delivered_at=d.delivered_at,
            last_error=d.last_error,
            created_at=d.created_at,
        )


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


class ExportedEvent(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    type: str
    data: dict[str, Any]
    occurred_at: datetime


class KnownBy(BaseModel):
    person_id: uuid.UUID = Field(description="Who recorded that they know this person.")
    strength: int
    context: str
    created_at: datetime


class PersonExport(BaseModel):
    person: PersonOut
    connections: list[ConnectionOut] = Field(description="People this person knows.")
    known_by: list[KnownBy] = Field(description="People who recorded knowing this person.")
    intro_requests: list[IntroRequestOut]
    events: list[ExportedEvent] = Field(description="Events this person caused.")


# ---- workspace settings -----------------------------------------------------------------


class TimingSettings(BaseModel):
    connector_deadline_hours: float = Field(gt=0, le=24 * 90)
    connector_reminder_hours: float = Field(gt=0, le=24 * 90)
    expert_deadline_hours: float = Field(gt=0, le=24 * 90)
    expert_reminder_hours: float = Field(gt=0, le=24 * 90)
    feedback_delay_hours: float = Field(gt=0, le=24 * 90)
    ask_lifetime_days: float = Field(
        gt=0, le=365, description="An ask older than this expires at its next deadline."
    )
    email_retry_days: float = Field(
        gt=0, le=30, description="How long an email keeps being retried through outages."
    )
    retention_days: float = Field(
        ge=1,
        le=3650,
        description="How long sent mail, delivered webhooks and used or expired links are "
        "kept (events and requests are kept for good).",
    )


class TimingPatch(Input):
    connector_deadline_hours: float | None = Field(default=None, strict=True, gt=0, le=24 * 90)
    connector_reminder_hours: float | None = Field(default=None, strict=True, gt=0, le=24 * 90)
    expert_deadline_hours: float | None = Field(default=None, strict=True, gt=0, le=24 * 90)
    expert_reminder_hours: float | None = Field(default=None, strict=True, gt=0, le=24 * 90)
    feedback_delay_hours: float | None = Field(default=None, strict=True, gt=0, le=24 * 90)
    ask_lifetime_days: float | None = Field(default=None, strict=True, gt=0, le=365)
    email_retry_days: float | None = Field(default=None, strict=True, ge=1 / 24, le=30)
    retention_days: float | None = Field(default=None, strict=True, ge=1, le=3650)


class BudgetSettings(BaseModel):
    connector_open: int = Field(ge=1, le=100, description="Open asks a connector holds at once.")
    expert_pending: int = Field(ge=1, le=100, description="Pending consents an expert holds.")


class BudgetPatch(Input):
    connector_open: OpenAsks | None = None
    expert_pending: OpenAsks | None = None


class WorkspaceOut(BaseModel):
    id: uuid.UUID
    name: str
    timing: TimingSettings
    budgets: BudgetSettings
    created_at: datetime

    @classmethod
    def of(cls, w: Workspace) -> WorkspaceOut:
        t = w.timing

        def hours(d: timedelta) -> float:
            return d.total_seconds() / 3600

        return cls(
            id=w.id,
            name=w.name,
            timing=TimingSettings(
                connector_deadline_hours=hours(t.connector_deadline),
                connector_reminder_hours=hours(t.connector_reminder),
                expert_deadline_hours=hours(t.expert_deadline),
                expert_reminder_hours=hours(t.expert_reminder),
                feedback_delay_hours=hours(t.feedback_delay),
                ask_lifetime_days=hours(t.ask_lifetime) / 24,
                email_retry_days=hours(t.email_retry) / 24,
                retention_days=hours(t.retention) / 24,
            ),
            budgets=BudgetSettings(
                connector_open=w.budgets.connector_open, expert_pending=w.budgets.expert_pending
            ),
            created_at=w.created_at,
        )


class WorkspacePatch(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)] | None = None
    timing: TimingPatch | None = None
    budgets: BudgetPatch | None = None


# ---- API keys ----------------------------------------------------------------------------


class ApiKeyIn(Input):
    label: Annotated[str, StringConstraints(max_length=MAX_KEY_LABEL)] = Field(
        default="", description="What the key is for, to tell keys apart; not secret."
    )


class ApiKeyOut(BaseModel):
    """A key as listed: never its value."""

    id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, label=key.label, created_at=key.created_at, revoked_at=key.revoked_at)


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown in this answer only, store it now.")
