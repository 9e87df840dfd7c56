"""The intro-request use cases on in-memory fakes: rules, transactions and outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.clock import FakeClock
from tests.unit.fakes import FakeStore, FakeUnitOfWork, FakeUnitOfWorkFactory
from warmintro.domain.access import Principal
from warmintro.domain.errors import (
    AskBudgetExceeded,
    DuplicateRequest,
    InvalidInput,
    NotFound,
    NotPermitted,
    RecipientUnavailable,
    UnknownPerson,
    WrongState,
)
from warmintro.domain.handlers import intro_requests as h
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    MAX_NOTE,
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
)
from warmintro.domain.people import Budgets, EmailStatus, Person, Preferences, Workspace
from warmintro.domain.views import visible_expert_id

TOPIC = "Pricing a B2B SaaS"
MESSAGE = "I am launching a developer tool and would love to hear how others price it."


class World:
    """One workspace on fakes, a hand-moved clock, and shortcuts to drive the use cases."""

    def __init__(self, budgets: Budgets | None = None) -> None:
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.clock = FakeClock()
        self.workspace = Workspace(
            id=new_id(), name="Alumni", created_at=self.clock.now(), budgets=budgets or Budgets()
        )
        self.store.data.workspaces[self.workspace.id] = self.workspace

    def person(self, name: str, workspace: Workspace | None = None, **fields: Any) -> uuid.UUID:
        prefs = {
            k: fields.pop(k) for k in ("ask_budget", "snooze_until", "never_contact") if k in fields
        }
        ws = workspace or self.workspace
        person = Person(
            id=new_id(),
            workspace_id=ws.id,
            email=f"{name.lower()}@example.org",
            name=name,
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
            preferences=Preferences(**prefs),
            **fields,
        )
        self.store.data.people[(ws.id, person.id)] = person
        return person.id

    def member(self, person_id: uuid.UUID) -> Principal:
        return Principal(self.workspace, person_id, operator=False)

    def operator(self, on_behalf_of: uuid.UUID | None = None) -> Principal:
        return Principal(self.workspace, on_behalf_of, operator=True)

    def uow(self) -> FakeUnitOfWork:
        return self.uows()

    def stored(self, request_id: uuid.UUID) -> IntroRequest:
        return self.store.request(self.workspace.id, request_id)

    def emails(self) -> list[tuple[str, uuid.UUID, tuple[uuid.UUID, ...]]]:
        return [(e.template, e.recipient_id, e.cc_ids) for e in self.store.emails]

    # ---- use cases -------------------------------------------------------

    async def create(
        self, asker: uuid.UUID, connector: uuid.UUID, topic: str = TOPIC, **fields: Any
    ) -> IntroRequest:
        cmd = h.CreateIntroRequest(
            asker_id=None, connector_id=connector, topic=topic, message=MESSAGE, **fields
        )
        seen = await h.create_intro_request(cmd, self.uow(), self.clock, self.member(asker))
        return seen.request

    async def propose(self, rid: uuid.UUID, connector: uuid.UUID, **fields: Any) -> h.Seen:
        return await h.propose(
            h.Propose(request_id=rid, **fields), self.uow(), self.clock, self.member(connector)
        )

    async def forward(self, rid: uuid.UUID, connector: uuid.UUID, to: uuid.UUID) -> h.Seen:
        return await h.forward(rid, to, "", self.uow(), self.clock, self.member(connector))

    async def decline(
        self, rid: uuid.UUID, actor: uuid.UUID, reason: DeclineReason = DeclineReason.BUSY
    ) -> h.Seen:
        return await h.decline(rid, reason, "", self.uow(), self.clock, self.member(actor))

    async def accept(self, rid: uuid.UUID, expert: uuid.UUID) -> h.Seen:
        return await h.accept(rid, "", self.uow(), self.clock, self.member(expert))

    async def cancel(self, rid: uuid.UUID, asker: uuid.UUID) -> h.Seen:
        return await h.cancel(rid, self.uow(), self.clock, self.member(asker))

    async def feedback(self, rid: uuid.UUID, asker: uuid.UUID, rating: Rating) -> h.Seen:
        return await h.give_feedback(rid, rating, "", self.uow(), self.clock, self.member(asker))

    async def events(self, rid: uuid.UUID, viewer: Principal) -> list[h.SeenEvent]:
        page = await h.list_events(rid, self.uow(), viewer)
        assert page.next_after is None
        return page.items


@dataclass
class Cast:
    asker: uuid.UUID
    connector: uuid.UUID
    expert: uuid.UUID
    other_expert: uuid.UUID
    fallback: uuid.UUID
    stranger: uuid.UUID


@pytest.fixture
def w() -> World:
    return World()


@pytest.fixture
def cast(w: World) -> Cast:
    return Cast(
        asker=w.person("Ada"),
        connector=w.person("Cyd"),
        expert=w.person("Eve"),
        other_expert=w.person("Ezra"),
        fallback=w.person("Flo"),
        stranger=w.person("Sam"),
    )


def unchanged(w: World) -> dict[str, Any]:
    """Everything stored, to compare after a failed use case."""
    return w.store.contents()


# ---- create ----------------------------------------------------------------


async def test_create_stores_the_request_and_asks_the_connector(w: World, cast: Cast) -> None:
    uow = w.uow()
    cmd = h.CreateIntroRequest(
        asker_id=cast.asker, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )

    seen = await h.create_intro_request(cmd, uow, w.clock, w.operator())

    stored = w.stored(seen.request.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.asker_id == cast.asker
    assert stored.deadline_at == w.clock.now() + timedelta(days=5)
    assert [e.type for e in w.store.stored_events(w.workspace.id, stored.id)] == [
        "intro_request.created"
    ]
    assert w.emails() == [("connector_ask", cast.connector, ())]
    assert w.store.emails[0].request_id == stored.id
    assert uow.committed == 1
    assert seen.viewer.role is None  # the operator


async def test_a_member_asks_for_itself_when_no_asker_is_given(w: World, cast: Cast) -> None:
    cmd = h.CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )

    seen = await h.create_intro_request(cmd, w.uow(), w.clock, w.member(cast.asker))

    assert seen.request.asker_id == cast.asker
    assert seen.viewer.role is Role.ASKER


async def test_a_member_asking_for_someone_else_is_not_permitted(w: World, cast: Cast) -> None:
    cmd = h.CreateIntroRequest(
        asker_id=cast.stranger, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    before = unchanged(w)

    with pytest.raises(NotPermitted):
        await h.create_intro_request(cmd, w.uow(), w.clock, w.member(cast.asker))

    assert w.store.contents() == before


async def test_an_api_key_without_asker_is_invalid_input(w: World, cast: Cast) -> None:
    cmd = h.CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    with pytest.raises(InvalidInput) as info:
        await h.create_intro_request(cmd, w.uow(), w.clock, w.operator())
    assert info.value.facts["field"] == "asker_id"
    assert w.store.data.requests == {}


async def test_a_second_open_ask_for_the_same_topic_is_a_duplicate(w: World, cast: Cast) -> None:
    first = await w.create(cast.asker, cast.connector, topic="Pricing  a b2b SaaS")
    before = unchanged(w)
    uow = w.uow()
    cmd = h.CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=" pricing a B2B saas ", message=MESSAGE
    )

    with pytest.raises(DuplicateRequest) as info:
        await h.create_intro_request(cmd, uow, w.clock, w.member(cast.asker))

    assert info.value.facts["existing_id"] == str(first.id)
    assert uow.committed == 0
    assert w.store.contents() == before


async def test_another_topic_or_a_closed_ask_is_not_a_duplicate(w: World, cast: Cast) -> None:
    first = await w.create(cast.asker, cast.connector)
    await w.create(cast.asker, cast.connector, topic="Hiring a first engineer")
    await w.cancel(first.id, cast.asker)

    again = await w.create(cast.asker, cast.connector)

    assert again.id != first.id
    assert w.stored(again.id).state is State.AWAITING_CONNECTOR


async def test_a_connector_over_budget_refuses_with_the_earliest_deadline(w: World) -> None:
    connector, expert = w.person("Cyd"), w.person("Eve")
    askers = [w.person(f"Asker{i}") for i in range(6)]
    ids = []
    for asker in askers[:5]:
        ids.append((await w.create(asker, connector)).id)
        w.clock.advance(timedelta(hours=1))
    # The first ask goes to an expert and comes back later: its deadline is no longer first.
    await w.propose(ids[0], connector, expert_id=expert)
    w.clock.advance(timedelta(hours=10))
    await w.decline(ids[0], expert)
    before = unchanged(w)

    with pytest.raises(AskBudgetExceeded) as info:
        await w.create(askers[5], connector)

    assert info.value.retry_after == w.stored(ids[1]).deadline_at
    deadlines = [w.stored(i).deadline_at for i in ids]
    assert info.value.retry_after == min(d for d in deadlines if d is not None)
    assert info.value.facts["role"] == "connector"
    assert w.store.contents() == before


async def test_a_persons_own_ask_budget_overrides_the_workspace(w: World) -> None:
    connector = w.person("Cyd", ask_budget=1)
    await w.create(w.person("A1"), connector)

    with pytest.raises(AskBudgetExceeded):
        await w.create(w.person("A2"), connector)


async def test_a_snoozed_connector_refuses_until_the_snooze_ends(w: World, cast: Cast) -> None:
    until = w.clock.now() + timedelta(days=10)
    snoozed = w.person("Sleepy", snooze_until=until)

    with pytest.raises(AskBudgetExceeded) as info:
        await w.create(cast.asker, snoozed)

    assert info.value.retry_after == until
    assert w.store.data.requests == {}
    assert w.emails() == []


async def test_a_snooze_in_the_past_no_longer_blocks(w: World, cast: Cast) -> None:
    woke = w.person("Woke", snooze_until=w.clock.now() - timedelta(seconds=1))

    request = await w.create(cast.asker, woke)

    assert w.stored(request.id).connector_id == woke


@pytest.mark.parametrize(
    "fields",
    [{"never_contact": True}, {"email_status": EmailStatus.BOUNCED}],
    ids=["never_contact", "bounced"],
)
async def test_an_unreachable_connector_is_unavailable(
    w: World, cast: Cast, fields: dict[str, Any]
) -> None:
    unreachable = w.person("Gone", **fields)

    with pytest.raises(RecipientUnavailable):
        await w.create(cast.asker, unreachable)

    assert w.store.data.requests == {}
    assert w.emails() == []


@pytest.mark.parametrize("field", ["connector_id", "target_id", "fallback_connector_ids"])
async def test_an_unknown_person_id_is_refused(w: World, cast: Cast, field: str) -> None:
    nobody = uuid.uuid4()
    fields: dict[str, Any] = {
        "connector_id": {"connector": nobody},
        "target_id": {"target_id": nobody},
        "fallback_connector_ids": {"fallback_connector_ids": (nobody,)},
    }[field]
    args = {"connector": cast.connector} | fields
    connector = args.pop("connector")

    with pytest.raises(UnknownPerson) as info:
        await w.create(cast.asker, connector, **args)

    assert info.value.facts["field"] == field
    assert w.store.data.requests == {}


async def test_an_unknown_asker_is_refused(w: World, cast: Cast) -> None:
    cmd = h.CreateIntroRequest(
        asker_id=uuid.uuid4(), connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    with pytest.raises(UnknownPerson) as info:
        await h.create_intro_request(cmd, w.uow(), w.clock, w.operator())
    assert info.value.facts["field"] == "asker_id"


async def test_an_erased_connector_is_an_unknown_person(w: World, cast: Cast) -> None:
    erased = w.store.person(w.workspace.id, cast.connector)
    assert erased is not None
    w.store.data.people[(w.workspace.id, cast.connector)] = erased.erased(w.clock.now())

    with pytest.raises(UnknownPerson):
        await w.create(cast.asker, cast.connector)


async def test_a_person_of_another_workspace_is_an_unknown_person(w: World, cast: Cast) -> None:
    elsewhere = Workspace(id=new_id(), name="Elsewhere", created_at=w.clock.now())
    foreign = w.person("Foreign", workspace=elsewhere)

    with pytest.raises(UnknownPerson):
        await w.create(cast.asker, foreign)


async def test_invalid_input_stores_nothing(w: World, cast: Cast) -> None:
    with pytest.raises(InvalidInput):
        await w.create(cast.asker, cast.connector, topic="   ")
    assert w.store.data.requests == {}
    assert w.store.counters.commits == 0


# ---- propose ---------------------------------------------------------------


async def test_propose_asks_the_expert_for_consent(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    uow = w.uow()

    seen = await h.propose(
        h.Propose(request_id=request.id, expert_id=cast.expert, note="she knows"),
        uow,
        w.clock,
        w.member(cast.connector),
    )

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_EXPERT
    assert stored.expert_id == cast.expert
    assert stored.version == 1
    assert w.emails()[-1] == ("expert_consent", cast.expert, ())
    assert uow.committed == 1
    assert seen.viewer.role is Role.CONNECTOR
    assert visible_expert_id(seen.request, seen.viewer) == cast.expert


async def test_propose_a_new_expert_by_email_creates_the_person(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.propose(
        request.id,
        cast.connector,
        expert=h.NewExpert(email=" Jane.Doe@Example.COM ", name=" Jane Doe "),
    )

    stored = w.stored(request.id)
    assert stored.expert_id is not None
    jane = w.store.person(w.workspace.id, stored.expert_id)
    assert jane is not None
    assert (jane.email, jane.name) == ("Jane.Doe@example.com", "Jane Doe")
    assert w.emails()[-1] == ("expert_consent", jane.id, ())


async def test_propose_by_the_email_of_a_known_person_uses_that_person(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    people_before = len(w.store.data.people)

    await w.propose(request.id, cast.connector, expert=h.NewExpert("EVE@example.org", "Evelyn"))

    assert w.stored(request.id).expert_id == cast.expert
    assert len(w.store.data.people) == people_before


async def test_propose_by_the_email_of_an_erased_person_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    eve = w.store.person(w.workspace.id, cast.expert)
    assert eve is not None
    erased = eve.erased(w.clock.now())
    w.store.data.people[(w.workspace.id, eve.id)] = erased

    with pytest.raises(InvalidInput):
        await w.propose(request.id, cast.connector, expert=h.NewExpert(erased.email, "X"))

    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
async def test_propose_needs_exactly_one_of_expert_id_or_expert(
    w: World, cast: Cast, both: bool
) -> None:
    request = await w.create(cast.asker, cast.connector)
    fields: dict[str, Any] = (
        {"expert_id": cast.expert, "expert": h.NewExpert("x@example.org", "X")} if both else {}
    )
    with pytest.raises(InvalidInput):
        await w.propose(request.id, cast.connector, **fields)
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_a_failed_proposal_of_a_new_expert_leaves_no_person_behind(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)
    uow = w.uow()

    with pytest.raises(InvalidInput):
        await h.propose(
            h.Propose(
                request_id=request.id,
                expert=h.NewExpert("new@example.org", "New"),
                note="x" * (MAX_NOTE + 1),
            ),
            uow,
            w.clock,
            w.member(cast.connector),
        )

    assert uow.committed == 0
    assert w.store.contents() == before


async def test_an_expert_over_budget_refuses_with_the_earliest_deadline(w: World) -> None:
    expert = w.person("Eve")
    first_deadline = None
    for i in range(3):
        connector = w.person(f"Con{i}")
        request = await w.create(w.person(f"Ask{i}"), connector)
        await w.propose(request.id, connector, expert_id=expert)
        first_deadline = first_deadline or w.stored(request.id).deadline_at
        w.clock.advance(timedelta(hours=2))
    connector = w.person("Con3")
    request = await w.create(w.person("Ask3"), connector)
    before = unchanged(w)

    with pytest.raises(AskBudgetExceeded) as info:
        await w.propose(request.id, connector, expert_id=expert)

    assert info.value.facts["role"] == "expert"
    assert info.value.retry_after == first_deadline
    assert w.store.contents() == before


async def test_proposing_an_unreachable_expert_is_refused(w: World, cast: Cast) -> None:
    shy = w.person("Shy", never_contact=True)
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(RecipientUnavailable):
        await w.propose(request.id, cast.connector, expert_id=shy)

    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_proposing_an_unknown_expert_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    with pytest.raises(UnknownPerson) as info:
        await w.propose(request.id, cast.connector, expert_id=uuid.uuid4())
    assert info.value.facts["field"] == "expert_id"


async def test_proposing_again_sends_no_second_email(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    emails, commits = w.emails(), w.store.counters.commits

    seen = await w.propose(request.id, cast.connector, expert_id=cast.expert)

    assert seen.request.state is State.AWAITING_EXPERT
    assert w.emails() == emails
    assert w.store.counters.commits == commits
    assert w.stored(request.id).version == 1


async def test_proposing_a_new_expert_by_email_in_the_wrong_state_names_the_state(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    before = unchanged(w)

    with pytest.raises(WrongState) as info:
        await w.propose(request.id, cast.connector, expert=h.NewExpert("new@example.org", "New"))

    assert info.value.current_state == State.AWAITING_EXPERT
    assert w.store.contents() == before


async def test_a_party_other_than_the_connector_may_not_propose(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(NotPermitted):
        await w.propose(request.id, cast.asker, expert_id=cast.expert)

    assert w.store.contents() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"snooze_until": FakeClock().now() + timedelta(days=30)},
        {"ask_budget": 0},
        {"never_contact": True},
    ],
    ids=["snoozed", "over-budget", "never-contact"],
)
async def test_a_non_connector_proposing_learns_nothing_about_the_expert(
    w: World, cast: Cast, fields: dict[str, Any]
) -> None:
    """The asker may not propose; the answer must not reveal a third party's budget,
    snooze date or opt-out (which a budget or availability error would)."""
    busy = w.person("Busy", **fields)
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(NotPermitted):
        await w.propose(request.id, cast.asker, expert_id=busy)


# ---- forward ---------------------------------------------------------------


async def test_forward_asks_the_new_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    seen = await w.forward(request.id, cast.connector, cast.fallback)

    assert w.stored(request.id).connector_id == cast.fallback
    assert w.stored(request.id).hops == 1
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    # The forwarding connector still sees the request, as a (past) connector.
    assert seen.viewer.role is Role.CONNECTOR


async def test_forward_to_an_unknown_person_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    with pytest.raises(UnknownPerson):
        await w.forward(request.id, cast.connector, uuid.uuid4())
    assert w.stored(request.id).connector_id == cast.connector


async def test_forward_to_a_connector_over_budget_is_refused(w: World, cast: Cast) -> None:
    busy = w.person("Busy", ask_budget=0)
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(AskBudgetExceeded):
        await w.forward(request.id, cast.connector, busy)

    assert w.store.contents() == before


async def test_forward_to_a_connector_already_holding_the_ask_is_a_duplicate(
    w: World, cast: Cast
) -> None:
    await w.create(cast.asker, cast.fallback)
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(DuplicateRequest):
        await w.forward(request.id, cast.connector, cast.fallback)

    assert w.store.contents() == before


# ---- decline -----------------------------------------------------------------


async def test_connector_decline_tells_the_asker_not_this_time(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.decline(request.id, cast.connector, DeclineReason.NOT_NOW)

    stored = w.stored(request.id)
    assert stored.state is State.DECLINED
    assert stored.decline_reason is DeclineReason.NOT_NOW
    assert w.emails()[-1] == ("asker_not_this_time", cast.asker, ())


async def test_connector_decline_hands_off_to_an_available_fallback(w: World, cast: Cast) -> None:
    snoozed = w.person("Snoozy", snooze_until=w.clock.now() + timedelta(days=3))
    opted_out = w.person("Out", never_contact=True)
    full = w.person("Full", ask_budget=0)
    request = await w.create(
        cast.asker,
        cast.connector,
        fallback_connector_ids=(snoozed, opted_out, full, cast.fallback),
    )

    await w.decline(request.id, cast.connector)

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.connector_id == cast.fallback
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    assert ("asker_not_this_time", cast.asker, ()) not in w.emails()


async def test_connector_decline_with_no_available_fallback_closes(w: World, cast: Cast) -> None:
    opted_out = w.person("Out", never_contact=True)
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(opted_out,))

    await w.decline(request.id, cast.connector)

    assert w.stored(request.id).state is State.DECLINED
    assert w.emails()[-1] == ("asker_not_this_time", cast.asker, ())


async def test_decline_skips_a_fallback_who_already_holds_the_same_ask(
    w: World, cast: Cast
) -> None:
    """Handing off must not create a second open ask to one connector (DESIGN §3)."""
    await w.create(cast.asker, cast.fallback)
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))

    await w.decline(request.id, cast.connector)

    stored = w.stored(request.id)
    assert stored.connector_id != cast.fallback
    assert stored.state is State.DECLINED


async def test_expert_decline_goes_back_to_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    seen = await w.decline(request.id, cast.expert, DeclineReason.NOT_A_FIT)

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.expert_id is None
    assert w.emails()[-1] == ("connector_expert_declined", cast.connector, ())
    assert seen.viewer.role is Role.EXPERT
    assert visible_expert_id(seen.request, seen.viewer) is None


async def test_declining_twice_sends_one_email(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.decline(request.id, cast.connector)
    emails = w.emails()

    await w.decline(request.id, cast.connector)

    assert w.emails() == emails
    assert w.stored(request.id).version == 1


# ---- accept, feedback, cancel ------------------------------------------------


async def test_accept_introduces_both_sides_with_the_connector_in_copy(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    await w.accept(request.id, cast.expert)

    assert w.stored(request.id).state is State.INTRODUCED
    assert w.emails()[-2:] == [
        ("introduction", cast.asker, (cast.connector,)),
        ("introduction", cast.expert, (cast.connector,)),
    ]
    assert {e.event_id for e in w.store.emails[-2:]} == {
        w.store.stored_events(w.workspace.id, request.id)[-1].id
    }


async def test_accepting_twice_sends_the_introduction_once(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    await w.accept(request.id, cast.expert)

    assert [t for t, _, _ in w.emails()].count("introduction") == 2


async def test_feedback_thanks_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    await w.feedback(request.id, cast.asker, Rating.YES)

    assert w.stored(request.id).state is State.COMPLETED
    assert w.emails()[-1] == ("connector_thank_you", cast.connector, ())


async def test_cancel_tells_whoever_is_being_waited_on(w: World, cast: Cast) -> None:
    waiting_on_connector = await w.create(cast.asker, cast.connector)
    waiting_on_expert = await w.create(cast.asker, cast.connector, topic="Hiring")
    await w.propose(waiting_on_expert.id, cast.connector, expert_id=cast.expert)

    await w.cancel(waiting_on_connector.id, cast.asker)
    assert w.emails()[-1] == ("party_cancelled", cast.connector, ())
    await w.cancel(waiting_on_expert.id, cast.asker)
    assert w.emails()[-1] == ("party_cancelled", cast.expert, ())


async def test_a_whole_lifecycle_sends_each_email_once(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    await w.feedback(request.id, cast.asker, Rating.SOMEWHAT)

    assert [t for t, _, _ in w.emails()] == [
        "connector_ask",
        "expert_consent",
        "introduction",
        "introduction",
        "connector_thank_you",
    ]
    assert [e.seq for e in w.store.stored_events(w.workspace.id, request.id)] == [1, 2, 3, 4]
    assert w.stored(request.id).version == 3


# ---- failures commit nothing -------------------------------------------------


@pytest.mark.parametrize(
    ("who", "action", "error"),
    [
        ("connector", "accept", NotPermitted),
        ("asker", "accept", NotPermitted),
        ("connector", "decline", WrongState),
        ("connector", "cancel", NotPermitted),
        ("asker", "feedback", WrongState),
        ("expert", "propose", WrongState),
    ],
)
async def test_a_refused_decision_commits_and_enqueues_nothing(
    w: World, cast: Cast, who: str, action: str, error: type[Exception]
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    before = unchanged(w)
    actor = getattr(cast, who)
    uow = w.uow()
    principal = w.member(actor)
    calls = {
        "accept": lambda: h.accept(request.id, "", uow, w.clock, principal),
        "decline": lambda: h.decline(request.id, DeclineReason.BUSY, "", uow, w.clock, principal),
        "cancel": lambda: h.cancel(request.id, uow, w.clock, principal),
        "feedback": lambda: h.give_feedback(request.id, Rating.YES, "", uow, w.clock, principal),
        "propose": lambda: h.propose(
            h.Propose(request.id, expert_id=cast.other_expert), uow, w.clock, principal
        ),
    }

    with pytest.raises(error):
        await calls[action]()

    assert uow.committed == 0
    assert w.store.contents() == before


async def test_a_wrong_state_error_names_the_current_state(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.decline(request.id, cast.connector)

    with pytest.raises(WrongState) as info:
        await w.cancel(request.id, cast.asker)

    assert info.value.current_state == State.DECLINED


async def test_an_api_key_deciding_without_on_behalf_of_is_invalid(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    with pytest.raises(InvalidInput) as info:
        await h.cancel(request.id, w.uow(), w.clock, w.operator())
    assert info.value.facts["field"] == "X-On-Behalf-Of"
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_an_api_key_on_behalf_of_a_party_may_decide(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await h.cancel(request.id, w.uow(), w.clock, w.operator(on_behalf_of=cast.asker))

    assert w.stored(request.id).state is State.CANCELLED


# ---- who may see what -----------------------------------------------------------


async def test_a_non_party_gets_not_found(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    stranger = w.member(cast.stranger)
    before = unchanged(w)

    with pytest.raises(NotFound):
        await h.get_intro_request(request.id, w.uow(), stranger)
    with pytest.raises(NotFound):
        await h.list_events(request.id, w.uow(), stranger)
    with pytest.raises(NotFound):
        await h.cancel(request.id, w.uow(), w.clock, stranger)
    with pytest.raises(NotFound):
        await h.decline(request.id, DeclineReason.BUSY, "", w.uow(), w.clock, stranger)

    assert w.store.contents() == before


async def test_a_request_of_another_workspace_is_not_found(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    elsewhere = Workspace(id=new_id(), name="Elsewhere", created_at=w.clock.now())

    with pytest.raises(NotFound):
        await h.get_intro_request(request.id, w.uow(), Principal(elsewhere, None, operator=True))
    with pytest.raises(NotFound):
        await h.cancel(request.id, w.uow(), w.clock, Principal(elsewhere, cast.asker, False))


async def test_get_shows_the_request_as_the_viewer_may_see_it(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    as_asker = await h.get_intro_request(request.id, w.uow(), w.member(cast.asker))
    as_expert = await h.get_intro_request(request.id, w.uow(), w.member(cast.expert))
    as_operator = await h.get_intro_request(request.id, w.uow(), w.operator())

    assert as_asker.viewer.role is Role.ASKER
    assert visible_expert_id(as_asker.request, as_asker.viewer) is None
    assert visible_expert_id(as_expert.request, as_expert.viewer) == cast.expert
    assert visible_expert_id(as_operator.request, as_operator.viewer) == cast.expert
    await w.accept(request.id, cast.expert)
    as_asker = await h.get_intro_request(request.id, w.uow(), w.member(cast.asker))
    assert visible_expert_id(as_asker.request, as_asker.viewer) == cast.expert


async def test_the_asker_timeline_hides_the_expert_and_the_reasons(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert, DeclineReason.NOT_A_FIT)
    await w.decline(request.id, cast.connector, DeclineReason.BUSY)

    asker_view = await w.events(request.id, w.member(cast.asker))
    connector_view = await w.events(request.id, w.member(cast.connector))

    assert [e.event.type for e in asker_view] == [
        "intro_request.created",
        "intro_request.declined",
    ]
    assert all("reason" not in e.data for e in asker_view)
    assert all(str(cast.expert) not in map(str, e.data.values()) for e in asker_view)
    assert [e.event.type for e in connector_view] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
        "intro_request.declined",
    ]
    assert connector_view[2].data["reason"] == "not_a_fit"
    assert connector_view[3].data["reason"] == "busy"


async def test_the_asker_timeline_shows_the_introduction(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    asker_view = await w.events(request.id, w.member(cast.asker))

    assert [e.event.type for e in asker_view] == [
        "intro_request.created",
        "intro_request.introduced",
    ]
    assert asker_view[-1].data["expert_id"] == str(cast.expert)


async def test_a_declined_expert_sees_only_their_own_part(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert)

    view = await w.events(request.id, w.member(cast.expert))

    assert [e.event.type for e in view] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
    ]


async def test_a_member_lists_only_their_own_requests(w: World, cast: Cast) -> None:
    mine = await w.create(cast.asker, cast.connector)
    theirs = await w.create(cast.stranger, cast.connector)

    page = await h.list_intro_requests(
        w.uow(), w.member(cast.asker), role=None, state=None, after=None, limit=10
    )
    everything = await h.list_intro_requests(
        w.uow(), w.operator(), role=None, state=None, after=None, limit=10
    )

    assert [s.request.id for s in page.items] == [mine.id]
    assert page.items[0].viewer.role is Role.ASKER
    assert {s.request.id for s in everything.items} == {mine.id, theirs.id}


async def test_list_filters_by_role_and_state(w: World, cast: Cast) -> None:
    as_asker = await w.create(cast.connector, cast.fallback)
    as_connector = await w.create(cast.asker, cast.connector)
    closed = await w.create(cast.stranger, cast.connector)
    await w.decline(closed.id, cast.connector)
    me = w.member(cast.connector)

    asking = await h.list_intro_requests(
        w.uow(), me, role=Role.ASKER, state=None, after=None, limit=10
    )
    connecting = await h.list_intro_requests(
        w.uow(), me, role=Role.CONNECTOR, state=None, after=None, limit=10
    )
    declined = await h.list_intro_requests(
        w.uow(), me, role=None, state=State.DECLINED, after=None, limit=10
    )

    assert [s.request.id for s in asking.items] == [as_asker.id]
    assert {s.request.id for s in connecting.items} == {as_connector.id, closed.id}
    assert [s.request.id for s in declined.items] == [closed.id]


async def test_list_pages_with_a_cursor_newest_first(w: World, cast: Cast) -> None:
    created = []
    for i in range(5):
        created.append((await w.create(cast.asker, cast.connector, topic=f"Topic {i}")).id)
        w.clock.advance(timedelta(minutes=1))
    seen: list[uuid.UUID] = []
    after = None
    pages = 0
    while True:
        page = await h.list_intro_requests(
            w.uow(), w.member(cast.asker), role=None, state=None, after=after, limit=2
        )
        seen += [s.request.id for s in page.items]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after

    assert pages == 3
    assert seen == sorted(created, reverse=True)


async def test_filtering_by_role_without_a_person_is_invalid(w: World, cast: Cast) -> None:
    with pytest.raises(InvalidInput) as info:
        await h.list_intro_requests(
            w.uow(), w.operator(), role=Role.ASKER, state=None, after=None, limit=10
        )
    assert info.value.facts["field"] == "role"
