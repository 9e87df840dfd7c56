"""Action links: the signed, expiring, single-purpose tokens in emails.

A link lets one person take one decision on one request, with no account: the
connector answers an ask, the expert gives consent, the asker follows their ask
on its status page (and cancels it, or says whether it helped), anyone
unsubscribes. The token is signed (by the token codec) and also
recorded, only as its SHA-256 hash, so a decision link works once and any link
can be revoked; the plain token exists only in the email.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from warmintro.domain.events import EventType
from warmintro.domain.intro_request import Action, DeclineReason, State

UNSUBSCRIBE = "unsubscribe"
"""What an unsubscribe link does; not a decision on a request."""
RESUBSCRIBE = "resubscribe"
"""Its undo: the person takes back "never contact me"."""


class Purpose(StrEnum):
    CONNECTOR = "connector"
    EXPERT = "expert"
    ASKER = "asker"
    UNSUBSCRIBE = "unsubscribe"

    @property
    def offers(self) -> frozenset[str]:
        """What a link of this purpose may do."""
        return _OFFERS[self]

    @property
    def single_use(self) -> bool:
        """A decision is taken once; unsubscribing (and its undo) may be repeated."""
        return self is not Purpose.UNSUBSCRIBE

    @property
    def shows_status(self) -> bool:
        """The asker's link is their status page: it keeps showing where the ask
        stands after its one decision (cancel or feedback) has been taken."""
        return self is Purpose.ASKER

    @property
    def lifetime(self) -> timedelta:
        return _LIFETIME[self]


_OFFERS: dict[Purpose, frozenset[str]] = {
    Purpose.CONNECTOR: frozenset({Action.PROPOSE, Action.FORWARD, Action.DECLINE}),
    Purpose.EXPERT: frozenset({Action.ACCEPT, Action.DECLINE}),
    Purpose.ASKER: frozenset({Action.CANCEL, Action.FEEDBACK}),
    Purpose.UNSUBSCRIBE: frozenset({UNSUBSCRIBE, RESUBSCRIBE}),
}
_LIFETIME: dict[Purpose, timedelta] = {
    Purpose.CONNECTOR: timedelta(days=14),
    Purpose.EXPERT: timedelta(days=14),
    # The asker's status page: the ask's whole life (30 days by default), then the
    # introduction, the "did it help?" ask some days later, and time to answer it.
    Purpose.ASKER: timedelta(days=90),
    Purpose.UNSUBSCRIBE: timedelta(days=365),
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ActionClaims:
    """What a genuine token says: for whom, in which workspace, about which request."""

    purpose: Purpose
    workspace_id: uuid.UUID
    person_id: uuid.UUID
    request_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ActionLink:
    """An issued link, as recorded."""

    claims: ActionClaims
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_action: str | None = None

    @property
    def purpose(self) -> Purpose:
        return self.claims.purpose


# ---- what the page behind a link shows ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Someone:
    """A person as a decision page names them."""

    name: str
    headline: str = ""

    @property
    def called(self) -> str:
        """The first word of their name, as a sentence about them starts."""
        return self.name.split()[0] if self.name.split() else "someone"


MAX_CANDIDATES = 50
"""A page lists no more of the connector's connections than this; a search finds the rest."""
COUNTED_UP_TO = 1000
"""How many of the connector's connections a page counts before saying "over": an
exact count of a network of 20k took longer than the rest of the page."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the connector's connections the page offers to ask or forward to."""

    id: uuid.UUID
    name: str
    headline: str
    suggested: bool
    target: bool = False
    """The person the asker hopes to meet."""


@dataclass(frozen=True, slots=True)
class DecisionPage:
    """The decision a link is waiting for, with what the person needs to take it."""

    purpose: Purpose
    actions: frozenset[str]
    topic: str
    message: str
    asker: Someone
    connector: Someone
    expert: Someone
    candidates: tuple[Candidate, ...] = ()
    """For the connector: their connections (those the search matched), the ranked
    suggestions first, at most `MAX_CANDIDATES`."""
    unlisted: int = 0
    """For the connector: how many more connections matched than the page lists (or,
    when `unlisted_over`, at least how many: they were counted up to COUNTED_UP_TO)."""
    unlisted_over: bool = False
    """For the connector: more matched than were counted; `unlisted` is a floor."""
    query: str = ""
    """For the connector: the search the page answers, if any."""
    chosen: Candidate | None = None
    """For the connector: the expert a suggestion's own link named, asked with one button."""
    preselected: uuid.UUID | None = None
    """For the connector: whom "ask someone" starts on: the chosen expert, else the
    first match of a search, else the top suggestion. Forwarding starts on nobody."""
    expert_declined: DeclineReason | None = None
    """For the connector: why the expert they proposed said no."""
    target: Someone | None = None
    """For the connector: whom the asker hopes to meet, when the ask names someone (by
    name and headline); first among the suggestions when the connector knows them."""
    target_suggested: bool = False
    """For the connector: the target leads the suggestions (they know them, and they
    may be asked)."""
    proposal_note: str = ""
    """For the expert: what the connector wrote when proposing them."""
    asked_for_by_name: bool = False
    """For the expert: they are the very person the asker hoped to meet."""
    workspace: str = ""
    """The community the request belongs to, named on every page."""


@dataclass(frozen=True, slots=True)
class NothingToDecide:
    """The link's turn has passed: the request moved on or closed."""

    state: State
    workspace: str = ""


@dataclass(frozen=True, slots=True)
class Answered:
    """The link has taken its decision already."""

    action: str
    workspace: str = ""


@dataclass(frozen=True, slots=True)
class UnsubscribePage:
    email: str
    workspace: str
    unsubscribed: bool = False
    """They have asked never to be contacted: the page offers the undo."""


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the asker's timeline, numbered 1..n for the asker."""

    seq: int
    type: EventType
    occurred_at: datetime
    who: str = ""
    """Whom the step names: the connector the ask went to (or who was reminded),
    the expert once introduced; empty when it names nobody."""


@dataclass(frozen=True, slots=True)
class AskerStatus:
    """The asker's status page: where their ask stands, the timeline as the asker
    sees it (no expert before the introduction), and what they may still do."""

    state: State
    actions: frozenset[str]
    """Cancel while the ask is not final, feedback once introduced; nothing once
    this link has taken its decision."""
    workspace: str
    topic: str
    message: str
    connector: Someone
    expert: Someone | None
    """Only once introduced."""
    timeline: tuple[Step, ...]
    answered: str | None = None
    """What this link has decided already, if anything."""


LinkPage = DecisionPage | NothingToDecide | Answered | UnsubscribePage | AskerStatus


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What using a link did: `repeated` when it had taken this decision before.

    The rest is what the page says around it: the workspace, and the parties' names
    and the state as the request stands after the decision (a name only where the
    person holding the link may know it). Two outcomes of the same decision are
    equal whatever they carry for the page.
    """

    action: str
    repeated: bool = False
    workspace: str = field(default="", compare=False)
    purpose: Purpose | None = field(default=None, compare=False)
    """Whose link it was: a connector's no and an expert's no lead to different things."""
    asker: str = field(default="", compare=False)
    connector: str = field(default="", compare=False)
    expert: str = field(default="", compare=False)
    state: State | None = field(default=None, compare=False)
    deliverable: bool = field(default=True, compare=False)
    """For an unsubscribe link: whether mail can reach them at all (a bounced or
    suppressed address cannot, whatever they choose)."""
