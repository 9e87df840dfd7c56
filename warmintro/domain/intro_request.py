"""The intro request aggregate: the double opt-in state machine of the lifecycle.

Every transition is a method that checks the state and the actor, raises an
error naming the current state when it does not apply, and records exactly one
event when it changes something. Repeating a decision already taken is a no-op
that records nothing, so a double click or a retried call never sends twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from warmintro.domain.errors import InvalidInput, NotPermitted, WrongState
from warmintro.domain.events import Event, EventType
from warmintro.domain.ids import new_id
from warmintro.domain.people import Timing, require_one_line

MAX_TOPIC = 200
MAX_MESSAGE = 5000
MAX_NOTE = 2000
MAX_FALLBACKS = 5
MAX_HOPS = 3


class State(StrEnum):
    AWAITING_CONNECTOR = "awaiting_connector"
    AWAITING_EXPERT = "awaiting_expert"
    INTRODUCED = "introduced"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        """Waiting on the connector or the expert: counts against budgets and deadlines."""
        return self in (State.AWAITING_CONNECTOR, State.AWAITING_EXPERT)

    @property
    def final(self) -> bool:
        return self in (State.COMPLETED, State.DECLINED, State.EXPIRED, State.CANCELLED)


class DeclineReason(StrEnum):
    BUSY = "busy"
    NOT_A_FIT = "not_a_fit"
    NOT_NOW = "not_now"
    OTHER = "other"
    NO_ANSWER = "no_answer"
    """Recorded by time when an expert lets their deadline pass; nobody gives it."""

    @property
    def given_by_people(self) -> bool:
        return self is not DeclineReason.NO_ANSWER


GIVEN_REASONS = tuple(r for r in DeclineReason if r.given_by_people)
"""The reasons a person may give when they decline."""


class Rating(StrEnum):
    YES = "yes"
    SOMEWHAT = "somewhat"
    NO = "no"


class Role(StrEnum):
    ASKER = "asker"
    CONNECTOR = "connector"
    EXPERT = "expert"


class Action(StrEnum):
    """The decisions people take on a request."""

    PROPOSE = "propose"
    FORWARD = "forward"
    DECLINE = "decline"
    ACCEPT = "accept"
    CANCEL = "cancel"
    FEEDBACK = "feedback"


@dataclass(frozen=True, slots=True)
class NamedAs:
    """Whom a connector named by email, as they typed it: the address and a name.

    The request remembers it because that is all the connector may see of them
    until they accept (see `views`): the address may belong to someone known, and
    the answer must not tell the connector who."""

    email: str
    name: str

    def as_data(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}

    @classmethod
    def from_data(cls, data: Any) -> NamedAs | None:
        if not isinstance(data, dict):
            return None
        return cls(str(data.get("email", "")), str(data.get("name", "")))


def topic_key(topic: str) -> str:
    """The form under which two topics count as the same ask."""
    return " ".join(topic.split()).casefold()


def _text(value: str, limit: int, name: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} must not be empty", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} must be at most {limit} characters", field=name)
    return value


@dataclass(slots=True, eq=False)
class IntroRequest:
    id: uuid.UUID
    workspace_id: uuid.UUID
    asker_id: uuid.UUID
    connector_id: uuid.UUID
    topic: str
    message: str
    created_at: datetime
    updated_at: datetime
    target_id: uuid.UUID | None = None
    fallback_connector_ids: tuple[uuid.UUID, ...] = ()
    """Connectors still to try, in order; the head is next when this one says no."""
    state: State = State.AWAITING_CONNECTOR
    expert_id: uuid.UUID | None = None
    expert_named_as: NamedAs | None = None
    """How the connector named the current expert, when they named them by email."""
    hops: int = 0
    connector_named_as: NamedAs | None = None
    """How the connector before named the current one, when they forwarded by email."""
    past_connector_ids: tuple[uuid.UUID, ...] = ()
    declined_expert_ids: tuple[uuid.UUID, ...] = ()
    declined_connector_ids: tuple[uuid.UUID, ...] = ()
    forwards: tuple[tuple[uuid.UUID, uuid.UUID], ...] = ()
    decline_reason: DeclineReason | None = None
    """The latest decline's reason; shown to the connector only."""
    feedback_rating: Rating | None = None
    deadline_at: datetime | None = None
    reminder_at: datetime | None = None
    reminded: bool = False
    introduced_at: datetime | None = None
    feedback_due_at: datetime | None = None
    """When the asker is to be asked "did it help?"; set at the introduction."""
    feedback_asked: bool = False
    version: int = 0
    event_seq: int = 0
    """How many events the request has recorded; numbers its timeline."""
    events: list[Event] = field(default_factory=list, repr=False)

    # ---- creation -------------------------------------------------------

    @classmethod
    def open_new(
        cls,
        *,
        workspace_id: uuid.UUID,
        asker_id: uuid.UUID,
        connector_id: uuid.UUID,
        topic: str,
        message: str,
        now: datetime,
        timing: Timing,
        target_id: uuid.UUID | None = None,
        fallback_connector_ids: Iterable[uuid.UUID] = (),
    ) -> IntroRequest:
        """Open an ask to one connector; fallbacks are tried one at a time, never at once."""
        topic = _text(topic, MAX_TOPIC, "topic", required=True)
        require_one_line(topic, "topic")
        message = _text(message, MAX_MESSAGE, "message", required=True)
        fallbacks = tuple(fallback_connector_ids)
        if asker_id == connector_id:
            raise InvalidInput("the asker cannot be their own connector", field="connector_id")
        if target_id is not None and target_id in (asker_id, connector_id):
            raise InvalidInput(
                "the target must be someone other than the asker and connector", field="target_id"
            )
        if len(fallbacks) > MAX_FALLBACKS:
            raise InvalidInput(
                f"at most {MAX_FALLBACKS} fallback connectors", field="fallback_connector_ids"
            )
        if len(set(fallbacks)) != len(fallbacks) or {asker_id, connector_id} & set(fallbacks):
            raise InvalidInput(
                "fallback connectors must be distinct from each other, the asker and the connector",
                field="fallback_connector_ids",
            )
        request = cls(
            id=new_id(),
            workspace_id=workspace_id,
            asker_id=asker_id,
            connector_id=connector_id,
            topic=topic,
            message=message,
            created_at=now,
            updated_at=now,
            target_id=target_id,
            fallback_connector_ids=fallbacks,
        )
        request._wait_for(Role.CONNECTOR, now, timing)
        request._record(
            EventType.CREATED, asker_id, now, connector_id=connector_id, target_id=target_id
        )
        return request

    # ---- who is who -----------------------------------------------------

    def role_of(self, person_id: uuid.UUID) -> Role | None:
        """The part a person plays or played in this request, if any."""
        if person_id == self.asker_id:
            return Role.ASKER
        if person_id == self.connector_id or person_id in self.past_connector_ids:
            return Role.CONNECTOR
        if person_id == self.expert_id or person_id in self.declined_expert_ids:
            return Role.EXPERT
        return None

    def parties(self) -> set[uuid.UUID]:
        people = {
            self.asker_id,
            self.connector_id,
            *self.past_connector_ids,
            *self.declined_expert_ids,
        }
        if self.expert_id is not None:
            people.add(self.expert_id)
        return people

    @property
    def expert_visible_to_asker(self) -> bool:
        """Once introduced, always: a later cancel does not unsay the introduction."""
        return self.introduced_at is not None

    def awaiting(self, person_id: uuid.UUID) -> Role | None:
        """The part in which the request now waits on this person, if it does."""
        if self.state is State.AWAITING_CONNECTOR and person_id == self.connector_id:
            return Role.CONNECTOR
        if self.state is State.AWAITING_EXPERT and person_id == self.expert_id:
            return Role.EXPERT
        return None

    def actions_for(self, person_id: uuid.UUID) -> frozenset[Action]:
        """The decisions this person may take now: the current connector proposes,
        forwards (while hops remain) or declines; the proposed expert accepts or
        declines; the asker cancels until the request is final and gives feedback
        once introduced."""
        actions: set[Action] = set()
        match self.awaiting(person_id):
            case Role.CONNECTOR:
                actions |= {Action.PROPOSE, Action.DECLINE}
                if self.hops < MAX_HOPS:
                    actions.add(Action.FORWARD)
            case Role.EXPERT:
                actions |= {Action.ACCEPT, Action.DECLINE}
        if person_id == self.asker_id and not self.state.final:
            actions.add(Action.CANCEL)
            if self.state is State.INTRODUCED:
                actions.add(Action.FEEDBACK)
        return frozenset(actions)

    # ---- would it apply? -------------------------------------------------
    # Each answers True when the decision would change the request, False when it
    # repeats one already taken (a no-op), and raises when it is not allowed:
    # WrongState naming the current state, NotPermitted for the wrong person.

    def would_propose(self, actor: uuid.UUID, expert_id: uuid.UUID) -> bool:
        if (
            self.expert_id == expert_id
            and actor == self.connector_id
            and self.state in (State.AWAITING_EXPERT, State.INTRODUCED, State.COMPLETED)
        ):
            return False
        self._require(State.AWAITING_CONNECTOR, "propose an expert for")
        self._require_actor(actor, self.connector_id, "only the current connector may propose")
        return True

    def would_forward(self, actor: uuid.UUID, connector_id: uuid.UUID) -> bool:
        if (
            (actor, connector_id) in self.forwards
            and self.connector_id == connector_id
            and self.state is State.AWAITING_CONNECTOR
        ):
            return False
        self._require(State.AWAITING_CONNECTOR, "forward")
        self._require_actor(actor, self.connector_id, "only the current connector may forward")
        if self.hops >= MAX_HOPS:
            raise InvalidInput(
                f"a request can be forwarded at most {MAX_HOPS} times", field="connector_id"
            )
        if connector_id in self.parties():
            raise InvalidInput(
                "a request cannot be forwarded back to someone already part of it",
                field="connector_id",
            )
        return True

    def would_decline(self, actor: uuid.UUID) -> bool:
        if actor in self.declined_connector_ids or actor in self.declined_expert_ids:
            return False
        if self.awaiting(actor) is Role.EXPERT:
            return True
        self._require(State.AWAITING_CONNECTOR, "decline")
        self._require_actor(
            actor,
            self.connector_id,
            "only the current connector or the proposed expert may decline",
        )
        return True

    def would_accept(self, actor: uuid.UUID) -> bool:
        if self.state in (State.INTRODUCED, State.COMPLETED) and actor == self.expert_id:
            return False
        self._require(State.AWAITING_EXPERT, "accept")
        self._require_actor(actor, self.expert_id, "only the proposed expert may accept")
        return True

    def would_cancel(self, actor: uuid.UUID) -> bool:
        if self.state is State.CANCELLED and actor == self.asker_id:
            return False
        if self.state.final:
            raise WrongState("cancel", self.state)
        self._require_actor(actor, self.asker_id, "only the asker may cancel")
        return True

    def would_record_feedback(self, actor: uuid.UUID, rating: Rating) -> bool:
        if (
            self.state is State.COMPLETED
            and self.feedback_rating is rating
            and actor == self.asker_id
        ):
            return False
        self._require(State.INTRODUCED, "give feedback on")
        self._require_actor(actor, self.asker_id, "only the asker may give feedback")
        return True

    # ---- the connector's decisions -------------------------------------

    def propose(
        self,
        actor: uuid.UUID,
        expert_id: uuid.UUID,
        note: str,
        now: datetime,
        timing: Timing,
        named_as: NamedAs | None = None,
    ) -> bool:
        """The current connector names an expert, who is then asked for consent first:
        by id, or by email (`named_as`, what they typed), in which case the events
        about this expert carry that naming until the request moves on from them."""
        if not self.would_propose(actor, expert_id):
            return False
        note = _text(note, MAX_NOTE, "note")
        # Checked after the caller's checks of the expert's budget and reachability:
        # "they cannot be asked" says more than "they were part of this already".
        if expert_id in self.parties():
            raise InvalidInput(
                "the expert must be someone not already part of this request", field="expert_id"
            )
        self.state = State.AWAITING_EXPERT
        self.expert_id = expert_id
        self.expert_named_as = named_as
        self._wait_for(Role.EXPERT, now, timing)
        self._record(
            EventType.EXPERT_PROPOSED,
            actor,
            now,
            expert_id=expert_id,
            note=note,
            **self._expert_naming(),
        )
        return True

    def forward(
        self,
        actor: uuid.UUID,
        connector_id: uuid.UUID,
        note: str,
        now: datetime,
        timing: Timing,
        named_as: NamedAs | None = None,
    ) -> bool:
        """Pass the ask to someone better placed; at most MAX_HOPS times, never back.
        By email (`named_as`, what the connector typed), the forward records it."""
        if not self.would_forward(actor, connector_id):
            return False
        note = _text(note, MAX_NOTE, "note")
        self.hops += 1
        self.forwards += ((actor, connector_id),)
        self._change_connector(connector_id, now, timing)
        self.connector_named_as = named_as
        naming = {"named_as": named_as.as_data()} if named_as is not None else {}
        self._record(
            EventType.FORWARDED,
            actor,
            now,
            from_connector_id=actor,
            connector_id=connector_id,
            hops=self.hops,
            note=note,
            **naming,
        )
        return True

    def decline(
        self,
        actor: uuid.UUID,
        reason: DeclineReason,
        note: str,
        now: datetime,
        timing: Timing,
        available: frozenset[uuid.UUID] = frozenset(),
    ) -> bool:
        """'Not this time' from the connector, or a no from the proposed expert.

        An expert's no returns the request to the connector with the reason, which
        only the connector sees. A connector's no hands the request to the next
        fallback connector able to take it (`available`), else closes it. Nobody
        gives `no_answer`: time records it.
        """
        if not reason.given_by_people:
            raise InvalidInput("choose busy, not_a_fit, not_now or other", field="reason")
        if not self.would_decline(actor):
            return False
        note = _text(note, MAX_NOTE, "note")
        if self.awaiting(actor) is Role.EXPERT:
            self._back_from_expert(actor, reason, note, now, timing)
            return True
        self.decline_reason = reason
        self.declined_connector_ids += (actor,)
        if self._hand_off(
            actor, now, timing, available, cause="declined", reason=reason.value, note=note
        ):
            return True
        self._close(State.DECLINED, now)
        self._record(
            EventType.DECLINED, actor, now, connector_id=actor, reason=reason.value, note=note
        )
        return True

    # ---- the expert's decision -----------------------------------------

    def accept(
        self, actor: uuid.UUID, note: str, now: datetime, timing: Timing | None = None
    ) -> bool:
        """The expert agrees; only now does everyone learn who they are. Some days
        later the asker is asked whether it helped."""
        if not self.would_accept(actor):
            return False
        note = _text(note, MAX_NOTE, "note")
        self.state = State.INTRODUCED
        self.introduced_at = now
        self.feedback_due_at = now + (timing or Timing()).feedback_delay
        self._stop_waiting()
        self._record(EventType.INTRODUCED, actor, now, expert_id=actor, note=note)
        return True

    # ---- the asker's decisions -----------------------------------------

    def cancel(self, actor: uuid.UUID, now: datetime) -> bool:
        """The asker withdraws, from any state that is not final. After the
        introduction that only stops the "did it help?" ask."""
        if not self.would_cancel(actor):
            return False
        was = self.state
        self._close(State.CANCELLED, now)
        self._record(EventType.CANCELLED, actor, now, was=was.value)
        return True

    def record_feedback(self, actor: uuid.UUID, rating: Rating, note: str, now: datetime) -> bool:
        """'Did it help?' closes the loop; the connector gets the thank-you."""
        if not self.would_record_feedback(actor, rating):
            return False
        note = _text(note, MAX_NOTE, "note")
        self.feedback_rating = rating
        self._close(State.COMPLETED, now)
        self._record(EventType.COMPLETED, actor, now, rating=rating.value, note=note)
        return True

    # ---- time -----------------------------------------------------------

    def remind(self, now: datetime) -> bool:
        """The single reminder of the current wait, once its time has come."""
        if (
            not self.state.open
            or self.reminded
            or self.reminder_at is None
            or now < self.reminder_at
        ):
            return False
        self.reminded = True
        self.updated_at = now
        waiting = self._waiting_on()
        self._record(
            EventType.REMINDER_DUE,
            None,
            now,
            role=waiting.value,
            person_id=self.connector_id if waiting is Role.CONNECTOR else self.expert_id,
            **(self._expert_naming() if waiting is Role.EXPERT else {}),
        )
        return True

    def expire(
        self, now: datetime, timing: Timing, available: frozenset[uuid.UUID] = frozenset()
    ) -> bool:
        """Past the deadline. An expert's silence is a no (`no_answer`): the ask goes
        back to the connector, who may name someone else. A connector's silence hands
        the ask to the next available fallback connector, else it expires. An ask that
        has outlived the workspace's `ask_lifetime` expires instead of going round again."""
        if not self.state.open or self.deadline_at is None or now < self.deadline_at:
            return False
        waiting = self._waiting_on()
        if not self.outlived(now, timing):
            if waiting is Role.EXPERT:
                self._back_from_expert(None, DeclineReason.NO_ANSWER, "", now, timing)
                return True
            if waiting is Role.CONNECTOR and self._hand_off(
                self.connector_id, now, timing, available, cause="expired"
            ):
                return True
        self._close(State.EXPIRED, now)
        self._record(EventType.EXPIRED, None, now, waiting_on=waiting.value)
        return True

    # ---- deliverability ---------------------------------------------------

    def party_unreachable(
        self,
        person_id: uuid.UUID,
        now: datetime,
        timing: Timing,
        available: frozenset[uuid.UUID] = frozenset(),
    ) -> bool:
        """The email of the person we wait on bounced. An expert's ask returns to the
        connector, who is told why; a connector's passes to the next fallback, or
        expires and the asker hears the neutral outcome."""
        if self.state is State.AWAITING_EXPERT and person_id == self.expert_id:
            naming = self._expert_naming()
            self.state = State.AWAITING_CONNECTOR
            self.declined_expert_ids += (person_id,)
            self.expert_id = None
            self.expert_named_as = None
            self.decline_reason = None
            self._wait_for(Role.CONNECTOR, now, timing)
            self._record(EventType.EXPERT_UNREACHABLE, None, now, expert_id=person_id, **naming)
            return True
        if self.state is State.AWAITING_CONNECTOR and person_id == self.connector_id:
            if self._hand_off(person_id, now, timing, available, cause="unreachable"):
                return True
            self._close(State.EXPIRED, now)
            self._record(EventType.EXPIRED, None, now, waiting_on="connector", cause="unreachable")
            return True
        return False

    def outlived(self, now: datetime, timing: Timing) -> bool:
        """Whether the ask is older than the workspace lets an ask live."""
        return now - self.created_at >= timing.ask_lifetime

    def ask_feedback(self, now: datetime) -> bool:
        """The one "did it help?" ask, once its day has come."""
        if (
            self.state is not State.INTRODUCED
            or self.feedback_asked
            or self.feedback_due_at is None
            or now < self.feedback_due_at
        ):
            return False
        self.feedback_asked = True
        self._record(EventType.FEEDBACK_REQUESTED, None, now)
        return True

    def next_due(self) -> datetime | None:
        """When time alone will next change this request (reminder, deadline, feedback ask)."""
        if self.state.open:
            if not self.reminded and self.reminder_at is not None:
                return self.reminder_at
            return self.deadline_at
        if self.state is State.INTRODUCED and not self.feedback_asked:
            return self.feedback_due_at
        return None

    def tick(
        self, now: datetime, timing: Timing, available: frozenset[uuid.UUID] = frozenset()
    ) -> bool:
        """Apply whatever time has brought: expiry (or hand-off) past the deadline, else
        the reminder, else the feedback ask. A late tick past the deadline skips the
        reminder: there is nothing left to remind of."""
        if self.state.open and self.deadline_at is not None and now >= self.deadline_at:
            return self.expire(now, timing, available)
        return self.remind(now) or self.ask_feedback(now)

    # ---- internals ------------------------------------------------------

    def _hand_off(
        self,
        previous: uuid.UUID,
        now: datetime,
        timing: Timing,
        available: frozenset[uuid.UUID],
        **data: Any,
    ) -> bool:
        queue = list(self.fallback_connector_ids)
        while queue:
            candidate = queue.pop(0)
            if candidate in self.parties() or candidate not in available:
                continue
            self.fallback_connector_ids = tuple(queue)
            self._change_connector(candidate, now, timing)
            # A "no" is the previous connector's act (their note goes with it); silence
            # and bounces are nobody's.
            actor = previous if data.get("cause") == "declined" else None
            self._record(
                EventType.HANDED_OFF,
                actor,
                now,
                from_connector_id=previous,
                connector_id=candidate,
                **data,
            )
            return True
        self.fallback_connector_ids = ()
        return False

    def _back_from_expert(
        self,
        actor: uuid.UUID | None,
        reason: DeclineReason,
        note: str,
        now: datetime,
        timing: Timing,
    ) -> None:
        """The expert said no, or let their deadline pass: the same connector holds the
        ask again, with a fresh deadline, and may not name this expert again."""
        expert_id = self.expert_id
        assert expert_id is not None
        naming = self._expert_naming()
        self.state = State.AWAITING_CONNECTOR
        self.declined_expert_ids += (expert_id,)
        self.expert_id = None
        self.expert_named_as = None
        self.decline_reason = reason
        self._wait_for(Role.CONNECTOR, now, timing)
        self._record(
            EventType.EXPERT_DECLINED,
            actor,
            now,
            expert_id=expert_id,
            reason=reason.value,
            note=note,
            **naming,
        )

    def _expert_naming(self) -> dict[str, Any]:
        """`named_as` for the events about the current expert, if named by email."""
        named = self.expert_named_as
        return {"named_as": named.as_data()} if named is not None else {}

    def _change_connector(self, connector_id: uuid.UUID, now: datetime, timing: Timing) -> None:
        self.past_connector_ids += (self.connector_id,)
        self.connector_id = connector_id
        self.connector_named_as = None
        self._wait_for(Role.CONNECTOR, now, timing)

    def _waiting_on(self) -> Role:
        return Role.EXPERT if self.state is State.AWAITING_EXPERT else Role.CONNECTOR

    def _wait_for(self, role: Role, now: datetime, timing: Timing) -> None:
        if role is Role.CONNECTOR:
            self.deadline_at = now + timing.connector_deadline
            self.reminder_at = now + timing.connector_reminder
        else:
            self.deadline_at = now + timing.expert_deadline
            self.reminder_at = now + timing.expert_reminder
        self.reminded = False
        self.updated_at = now

    def _stop_waiting(self) -> None:
        self.deadline_at = None
        self.reminder_at = None
        self.reminded = False

    def _close(self, state: State, now: datetime) -> None:
        self.state = state
        self._stop_waiting()
        self.updated_at = now

    def _require(self, state: State, action: str) -> None:
        if self.state is not state:
            raise WrongState(action, self.state)

    @staticmethod
    def _require_actor(actor: uuid.UUID, allowed: uuid.UUID | None, detail: str) -> None:
        if actor != allowed:
            raise NotPermitted(detail)

    def _record(
        self, type_: EventType, actor: uuid.UUID | None, now: datetime, **data: Any
    ) -> None:
        self.updated_at = now
        self.event_seq += 1
        clean = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()}
        self.events.append(
            Event(
                id=new_id(),
                workspace_id=self.workspace_id,
                request_id=self.id,
                seq=self.event_seq,
                type=type_,
                actor_id=actor,
                occurred_at=now,
                data={"state": self.state.value, **clean},
            )
        )
