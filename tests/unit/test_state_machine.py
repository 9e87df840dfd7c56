"""Random decision sequences on one IntroRequest: the lifecycle rules hold after every step."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from warmintro.domain.errors import DomainError
from warmintro.domain.events import Event
from warmintro.domain.intro_request import (
    MAX_HOPS,
    MAX_NOTE,
    Action,
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
)
from warmintro.domain.people import Timing
from warmintro.domain.views import Viewer, project_event, visible_expert_id

AC, AE = State.AWAITING_CONNECTOR, State.AWAITING_EXPERT
INTRODUCED, COMPLETED = State.INTRODUCED, State.COMPLETED
DECLINED, EXPIRED, CANCELLED = State.DECLINED, State.EXPIRED, State.CANCELLED

# (from, to) per action, from the diagram and rules of the lifecycle.
ALLOWED: dict[str, set[tuple[State, State]]] = {
    "propose": {(AC, AE)},
    # forwarding keeps waiting on a (new) connector
    "forward": {(AC, AC)},
    # a connector's no: hand-off or closed; an expert's no: back to the connector
    "decline": {(AC, AC), (AC, DECLINED), (AE, AC)},
    "accept": {(AE, INTRODUCED)},
    # "any non-final state -- asker cancels --> cancelled"
    "cancel": {(AC, CANCELLED), (AE, CANCELLED), (INTRODUCED, CANCELLED)},
    "feedback": {(INTRODUCED, COMPLETED)},
    "remind": {(AC, AC), (AE, AE)},
    # hand-off to a fallback connector; an expert's silence back to the connector
    # ("no_answer"); or expired
    "expire": {(AC, AC), (AC, EXPIRED), (AE, AC), (AE, EXPIRED)},
}

WS = uuid.uuid4()
ASKER = uuid.uuid4()
CONNECTOR = uuid.uuid4()
OTHERS = [uuid.uuid4() for _ in range(4)]
POOL = [ASKER, CONNECTOR, *OTHERS]
TIMING = Timing()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

people = st.sampled_from(POOL)


def roles(*favoured: str) -> st.SearchStrategy[str]:
    """Who acts: often the party whose turn it is, so runs reach the late states,
    but also every other party, someone who acted before, or anyone at all."""
    others = ["asker", "connector", "expert", "past", "anyone", "anyone"]
    return st.sampled_from([*favoured, *favoured, *favoured, *others])


notes = st.sampled_from(["", "a short note", "n" * (MAX_NOTE + 1)])
steps = st.sampled_from(
    [timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=4), timedelta(days=8)]
)


def fields_of(request: IntroRequest) -> dict[str, Any]:
    values = {
        f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name != "events"
    }
    values["events"] = list(request.events)
    return values


class IntroLifecycle(RuleBasedStateMachine):
    request: IntroRequest
    now: datetime

    @initialize(
        fallbacks=st.lists(st.sampled_from(OTHERS), unique=True, max_size=3),
        start=st.sampled_from(["fresh", "fresh", "proposed", "introduced"]),
        expert=st.sampled_from(OTHERS),
    )
    def open(self, fallbacks: list[uuid.UUID], start: str, expert: uuid.UUID) -> None:
        """A new request, sometimes already moved on, so the walk also starts late."""
        self.now = T0
        self.experts_ever: set[uuid.UUID] = set()
        self.request = IntroRequest.open_new(
            workspace_id=WS,
            asker_id=ASKER,
            connector_id=CONNECTOR,
            topic="Pricing a B2B SaaS",
            message="How do developer tools price?",
            now=self.now,
            timing=TIMING,
            fallback_connector_ids=fallbacks,
        )
        if start in ("proposed", "introduced"):
            self.attempt(
                "propose", CONNECTOR, lambda r: r.propose(CONNECTOR, expert, "", self.now, TIMING)
            )
            assert self.request.state is AE
        if start == "introduced":
            self.attempt("accept", expert, lambda r: r.accept(expert, "", self.now))
            assert self.request.state is INTRODUCED

    def who(self, role: str, anyone: uuid.UUID) -> uuid.UUID:
        request = self.request
        if role == "connector":
            return request.connector_id
        if role == "expert":
            return request.expert_id or anyone
        if role == "asker":
            return ASKER
        if role == "past":
            earlier = [*request.past_connector_ids, *request.declined_expert_ids]
            return earlier[-1] if earlier else anyone
        return anyone

    # ---- the step every rule goes through ---------------------------------

    def attempt(
        self, action: str, actor: uuid.UUID | None, call: Callable[[IntroRequest], bool]
    ) -> None:
        request = self.request
        before = fields_of(request)
        prev_state = request.state
        prev_connector, prev_expert = request.connector_id, request.expert_id
        try:
            changed = call(request)
        except DomainError:
            assert fields_of(request) == before, f"a refused {action} changed the request"
            return
        if not changed:
            assert fields_of(request) == before, f"a no-op {action} changed the request"
            return
        assert len(request.events) == len(before["events"]) + 1, f"{action} recorded != 1 event"
        assert (prev_state, request.state) in ALLOWED[action], (
            f"{action} moved {prev_state} -> {request.state}"
        )
        assert not prev_state.final, f"{action} changed a {prev_state} request"
        self.check_actor(action, actor, request.events[-1], prev_state, prev_connector, prev_expert)
        self.check_time(action, prev_state, prev_connector)
        if request.expert_id is not None:
            self.experts_ever.add(request.expert_id)

    def check_time(self, action: str, prev_state: State, prev_connector: uuid.UUID) -> None:
        """Whenever the ask comes (back) to a connector, their wait starts afresh; once
        the ask has outlived its lifetime, a deadline ends it."""
        request = self.request
        if request.state is AC and (prev_state is AE or request.connector_id != prev_connector):
            assert request.deadline_at == self.now + TIMING.connector_deadline, action
            assert request.reminder_at == self.now + TIMING.connector_reminder, action
            assert not request.reminded, action
        if action == "expire":
            outlived = self.now - request.created_at >= TIMING.ask_lifetime
            assert (request.state is EXPIRED) >= outlived, "an outlived ask went round again"
            if prev_state is AE and not outlived:
                assert request.state is AC, "a silent expert did not return the ask"
                assert str(request.declined_expert_ids[-1]) == request.events[-1].data["expert_id"]

    def check_actor(
        self,
        action: str,
        actor: uuid.UUID | None,
        event: Event,
        prev_state: State,
        prev_connector: uuid.UUID,
        prev_expert: uuid.UUID | None,
    ) -> None:
        """Only the party whose decision it is can change the request, and the event
        names them as its actor; what time alone brings is nobody's act."""
        if action in ("remind", "expire"):
            assert event.actor_id is None, f"{action} recorded {event.type} with an actor"
            return
        assert event.actor_id == actor, f"{action} recorded {event.type} by someone else"
        if action in ("propose", "forward"):
            assert actor == prev_connector
        elif action == "decline":
            assert actor == (prev_connector if prev_state is AC else prev_expert)
        elif action == "accept":
            assert actor == prev_expert
        else:
            assert action in ("cancel", "feedback")
            assert actor == ASKER

    # ---- rules -----------------------------------------------------------

    @rule(delta=steps)
    def time_passes(self, delta: timedelta) -> None:
        self.now += delta

    @rule(role=roles("connector"), anyone=people, expert=people, note=notes)
    def propose(self, role: str, anyone: uuid.UUID, expert: uuid.UUID, note: str) -> None:
        actor = self.who(role, anyone)
        self.attempt("propose", actor, lambda r: r.propose(actor, expert, note, self.now, TIMING))

    @rule(role=roles("connector"), anyone=people, newcomer=st.booleans(), note=notes)
    def forward(self, role: str, anyone: uuid.UUID, newcomer: bool, note: str) -> None:
        actor = self.who(role, anyone)
        fresh = [p for p in OTHERS if p not in self.request.parties()]
        to = fresh[0] if newcomer and fresh else anyone
        self.attempt("forward", actor, lambda r: r.forward(actor, to, note, self.now, TIMING))

    @rule(
        role=roles("expert"),
        anyone=people,
        reason=st.sampled_from(DeclineReason),
        note=notes,
        available=st.frozensets(st.sampled_from(OTHERS)),
    )
    def decline(
        self,
        role: str,
        anyone: uuid.UUID,
        reason: DeclineReason,
        note: str,
        available: frozenset[uuid.UUID],
    ) -> None:
        actor = self.who(role, anyone)
        self.attempt(
            "decline",
            actor,
            lambda r: r.decline(actor, reason, note, self.now, TIMING, available),
        )

    @rule(role=roles("expert"), anyone=people, note=notes)
    def accept(self, role: str, anyone: uuid.UUID, note: str) -> None:
        actor = self.who(role, anyone)
        self.attempt("accept", actor, lambda r: r.accept(actor, note, self.now))

    @rule(role=roles(), anyone=people)
    def cancel(self, role: str, anyone: uuid.UUID) -> None:
        actor = self.who(role, anyone)
        self.attempt("cancel", actor, lambda r: r.cancel(actor, self.now))

    @rule(role=roles("asker"), anyone=people, rating=st.sampled_from(Rating), note=notes)
    def feedback(self, role: str, anyone: uuid.UUID, rating: Rating, note: str) -> None:
        actor = self.who(role, anyone)
        self.attempt("feedback", actor, lambda r: r.record_feedback(actor, rating, note, self.now))

    @rule()
    def remind(self) -> None:
        self.attempt("remind", None, lambda r: r.remind(self.now))

    @rule(available=st.frozensets(st.sampled_from(OTHERS)))
    def expire(self, available: frozenset[uuid.UUID]) -> None:
        self.attempt("expire", None, lambda r: r.expire(self.now, TIMING, available))

    # ---- invariants --------------------------------------------------------

    @invariant()
    def hops_are_bounded(self) -> None:
        assert 0 <= self.request.hops <= MAX_HOPS

    @invariant()
    def events_are_numbered_one_to_n(self) -> None:
        seqs = [e.seq for e in self.request.events]
        assert seqs == list(range(1, len(seqs) + 1))
        assert self.request.event_seq == len(seqs)

    @invariant()
    def the_asker_never_sees_an_expert_before_the_introduction(self) -> None:
        request = self.request
        asker = Viewer(ASKER, Role.ASKER)
        shown = visible_expert_id(request, asker)
        # Once introduced, the expert stays known to the asker (a later cancel included).
        introduced = request.introduced_at is not None
        if introduced:
            assert shown == request.expert_id
        else:
            assert shown is None
        # The introduced expert is revealed by the introduction; nobody else ever is.
        hidden = {str(e) for e in self.experts_ever | set(request.declined_expert_ids)}
        if introduced:
            hidden.discard(str(request.expert_id))
        for event in request.events:
            seen = project_event(event, request, asker)
            if seen is None:
                continue
            data = seen.data
            assert not hidden & {str(v) for v in data.values()}, (event.type, data)
            assert "reason" not in data, "decline reasons reach the connector only"

    @invariant()
    def the_actions_offered_are_exactly_those_that_would_apply(self) -> None:
        """What `actions_for` offers a person (the pages show it) is what the
        aggregate would do for them now: no dead button, no missing one."""
        request = self.request
        stranger = uuid.uuid4()
        would: dict[Action, Callable[[uuid.UUID], bool]] = {
            Action.PROPOSE: lambda p: request.would_propose(p, stranger),
            Action.FORWARD: lambda p: request.would_forward(p, uuid.uuid4()),
            Action.DECLINE: request.would_decline,
            Action.ACCEPT: request.would_accept,
            Action.CANCEL: request.would_cancel,
            Action.FEEDBACK: lambda p: request.would_record_feedback(p, Rating.YES),
        }
        for person in [*request.parties(), stranger]:
            offered = request.actions_for(person)
            for action, check in would.items():
                try:
                    applies = check(person)
                except DomainError:
                    applies = False
                assert (action in offered) == applies, (action, person, request.state)
            if offered - {Action.CANCEL, Action.FEEDBACK}:
                assert request.awaiting(person) is not None
            else:
                assert request.awaiting(person) is None

    @invariant()
    def waiting_states_have_deadlines_and_final_ones_none(self) -> None:
        request = self.request
        if request.state.open:
            assert request.deadline_at is not None
            assert request.reminder_at is not None
            assert request.reminder_at < request.deadline_at
        else:
            assert request.deadline_at is None

    @invariant()
    def the_expert_is_named_exactly_when_one_was_asked(self) -> None:
        request = self.request
        if request.state in (AE, INTRODUCED, COMPLETED):
            assert request.expert_id is not None
        if request.state is AC:
            assert request.expert_id is None

    @invariant()
    def the_current_connector_is_never_the_asker_or_an_expert(self) -> None:
        request = self.request
        assert request.connector_id != ASKER
        assert request.connector_id not in request.declined_expert_ids
        assert request.connector_id != request.expert_id
        assert request.connector_id not in request.past_connector_ids


def lifecycle_settings() -> settings:
    """200 random walks of up to 30 steps. Mutation testing (docs/testing.md) runs this
    test once per mutant and sets WARMINTRO_MUTATION=1: then the walks are the same on
    every run, so two measurements compare, and a failure is reported unshrunk."""
    if os.environ.get("WARMINTRO_MUTATION") == "1":
        return settings(
            max_examples=200,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            phases=(Phase.explicit, Phase.generate),
        )
    return settings(max_examples=200, stateful_step_count=30, deadline=None)


TestIntroLifecycle = IntroLifecycle.TestCase
TestIntroLifecycle.settings = lifecycle_settings()
