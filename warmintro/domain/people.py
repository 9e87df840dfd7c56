"""Workspaces, people and their connections."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from warmintro.domain.errors import InvalidInput

MAX_NAME = 200
MAX_HEADLINE = 300
MAX_BIO = 5000
MAX_TAGS = 30
MAX_TAG = 64
MAX_CONTEXT = 500
# One mailbox and nothing a header or an SMTP envelope could read as another.
_PLAIN = r"[^@\s<>,;:\"()\[\]\\\x00-\x1f\x7f]"
_EMAIL = re.compile(rf"^{_PLAIN}{{1,64}}@{_PLAIN}+\.{_PLAIN}+$")


@dataclass(frozen=True, slots=True)
class Timing:
    """How long each waiting state lasts and when its single reminder goes out."""

    connector_deadline: timedelta = timedelta(days=5)
    connector_reminder: timedelta = timedelta(days=3)
    expert_deadline: timedelta = timedelta(days=7)
    expert_reminder: timedelta = timedelta(days=4)
    feedback_delay: timedelta = timedelta(days=3)
    """How long after the introduction the asker is asked "did it help?"."""
    ask_lifetime: timedelta = timedelta(days=30)
    """An ask older than this expires at its next deadline instead of going round again."""
    email_retry: timedelta = timedelta(days=3)
    """How long an email that meets only transient failures keeps being retried."""
    retention: timedelta = timedelta(days=90)
    """How long sent mail, delivered webhooks and spent or expired links are kept;
    events and requests are kept for good."""

    def __post_init__(self) -> None:
        if not timedelta(0) < self.connector_reminder < self.connector_deadline:
            raise InvalidInput("connector reminder must fall before its deadline", field="timing")
        if not timedelta(0) < self.expert_reminder < self.expert_deadline:
            raise InvalidInput("expert reminder must fall before its deadline", field="timing")
        if self.feedback_delay <= timedelta(0):
            raise InvalidInput("the feedback ask must come after the introduction", field="timing")
        if self.ask_lifetime < max(self.connector_deadline, self.expert_deadline):
            raise InvalidInput("an ask must live at least as long as one deadline", field="timing")
        if self.email_retry < timedelta(hours=1):
            raise InvalidInput("emails must be retried for at least an hour", field="timing")
        if self.retention < timedelta(days=1):
            raise InvalidInput(
                "sent mail and spent links must be kept for at least a day", field="timing"
            )


@dataclass(frozen=True, slots=True)
class Budgets:
    """Ask budgets: open asks a connector holds, pending consents an expert holds."""

    connector_open: int = 5
    expert_pending: int = 3

    def __post_init__(self) -> None:
        if self.connector_open < 1 or self.expert_pending < 1:
            raise InvalidInput("budgets must be at least 1")


@dataclass(frozen=True, slots=True)
class Workspace:
    id: uuid.UUID
    name: str
    created_at: datetime
    timing: Timing = field(default_factory=Timing)
    budgets: Budgets = field(default_factory=Budgets)

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise InvalidInput(f"workspace name must be 1-{MAX_NAME} characters", field="name")


class EmailStatus(StrEnum):
    OK = "ok"
    BOUNCED = "bounced"
    SUPPRESSED = "suppressed"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def require_one_line(value: str, field: str) -> None:
    """Names, headlines and topics reach email headers: no line breaks or controls."""
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} must be a single line of text", field=field)


def normalize_email(email: str) -> str:
    """A last line of defence behind the `EmailAddresses` port, which validates and
    normalises: one plain address, the domain in lower case."""
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput("not a valid email address", field="email")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Tags compare case-insensitively with collapsed whitespace; order kept, duplicates dropped."""
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} expertise tags", field="expertise")
    out: list[str] = []
    for tag in tags:
        norm = " ".join(tag.split()).casefold()
        if not norm or len(norm) > MAX_TAG:
            raise InvalidInput(
                f"each expertise tag must be 1-{MAX_TAG} characters", field="expertise"
            )
        if norm not in out:
            out.append(norm)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Preferences:
    ask_budget: int | None = None
    """Overrides the workspace's budgets for this person, as connector and as expert."""
    snooze_until: datetime | None = None
    never_contact: bool = False
    discoverable: bool = True
    """Whether warm-path search may count this person as someone a connector knows.
    Never a reason to hide them from their own connections: suggestions only ever
    come from a connector's own connections."""

    def __post_init__(self) -> None:
        if self.ask_budget is not None and not 0 <= self.ask_budget <= 100:
            raise InvalidInput("ask_budget must be between 0 and 100", field="ask_budget")


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str
    name: str
    created_at: datetime
    updated_at: datetime
    headline: str = ""
    expertise: tuple[str, ...] = ()
    bio: str = ""
    email_status: EmailStatus = EmailStatus.OK
    preferences: Preferences = field(default_factory=Preferences)
    erased_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.erased_at is not None:
            return
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise InvalidInput(f"name must be 1-{MAX_NAME} characters", field="name")
        if len(self.headline) > MAX_HEADLINE:
            raise InvalidInput(
                f"headline must be at most {MAX_HEADLINE} characters", field="headline"
            )
        if len(self.bio) > MAX_BIO:
            raise InvalidInput(f"bio must be at most {MAX_BIO} characters", field="bio")

    @property
    def called(self) -> str:
        """The name emails greet them by: the first word of their name ("" if none)."""
        words = self.name.split()
        return words[0] if words else ""

    @property
    def email_key(self) -> str:
        return self.email.casefold()

    def reachable(self) -> bool:
        """Whether we may email this person at all."""
        return (
            self.erased_at is None
            and not self.preferences.never_contact
            and self.email_status is EmailStatus.OK
        )

    def snoozed(self, now: datetime) -> bool:
        until = self.preferences.snooze_until
        return until is not None and until > now

    def erased(self, now: datetime) -> Person:
        """The person with everything identifying removed; only the opaque id stays."""
        return replace(
            self,
            email=f"erased+{self.id.hex}@invalid",
            name="",
            headline="",
            expertise=(),
            bio="",
            email_status=EmailStatus.SUPPRESSED,
            preferences=Preferences(never_contact=True, discoverable=False),
            erased_at=now,
            updated_at=now,
        )


@dataclass(frozen=True, slots=True)
class Connection:
    """`person_id` knows `other_id`; strength 1 (met once) to 5 (close)."""

    workspace_id: uuid.UUID
    person_id: uuid.UUID
    other_id: uuid.UUID
    strength: int
    context: str
    created_at: datetime

    def __post_init__(self) -> None:
        if self.person_id == self.other_id:
            raise InvalidInput("a person cannot be connected to themselves", field="person_id")
        check_link(self.strength, self.context)


def check_link(strength: int, context: str) -> None:
    """How well and from where one person knows another: strength 1-5, a short context."""
    if not 1 <= strength <= 5:
        raise InvalidInput("strength must be between 1 and 5", field="strength")
    if len(context) > MAX_CONTEXT:
        raise InvalidInput(f"context must be at most {MAX_CONTEXT} characters", field="context")
