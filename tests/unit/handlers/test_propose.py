"""Proposing an expert: consent is asked once, new experts are created by email,
budgets and opt-outs refuse, and a refusal commits nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.clock import FakeClock
from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import NewPerson
from warmintro.domain.errors import (
    AskBudgetExceeded,
    InvalidInput,
    NotPermitted,
    RecipientUnavailable,
    UnknownPerson,
    WrongState,
)
from warmintro.domain.intro_request import (
    MAX_NOTE,
    Role,
    State,
)


async def test_propose_asks_the_expert_for_consent(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    commits = w.commits

    seen = await w.propose(request.id, cast.connector, expert_id=cast.expert, note="she knows")

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_EXPERT
    assert stored.expert_id == cast.expert
    assert stored.version == 1
    assert w.emails()[-1] == ("expert_consent", cast.expert, ())
    assert w.commits == commits + 1
    assert seen.viewer_role is Role.CONNECTOR
    assert seen.expert_id == cast.expert


async def test_propose_a_new_expert_by_email_creates_the_person(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.propose(
        request.id,
        cast.connector,
        expert=NewPerson(email=" Jane.Doe@Example.COM ", name=" Jane Doe "),
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

    await w.propose(request.id, cast.connector, expert=NewPerson("EVE@example.org", "Evelyn"))

    assert w.stored(request.id).expert_id == cast.expert
    assert len(w.store.data.people) == people_before


async def test_the_former_email_of_an_erased_person_names_someone_new(w: World, cast: Cast) -> None:
    """Erasure replaced the address: naming it again is naming a stranger, answered
    as for any new email, and never the erased person."""
    request = await w.create(cast.asker, cast.connector)
    eve = w.store.person(w.workspace.id, cast.expert)
    assert eve is not None
    w.store.data.people[(w.workspace.id, eve.id)] = eve.erased(w.clock.now())

    await w.propose(request.id, cast.connector, expert=NewPerson(eve.email, "Eve"))

    stored = w.stored(request.id)
    assert stored.expert_id not in (None, eve.id)
    assert stored.state is State.AWAITING_EXPERT


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
async def test_propose_needs_exactly_one_of_expert_id_or_expert(
    w: World, cast: Cast, both: bool
) -> None:
    request = await w.create(cast.asker, cast.connector)
    fields: dict[str, Any] = (
        {"expert_id": cast.expert, "expert": NewPerson("x@example.org", "X")} if both else {}
    )
    with pytest.raises(InvalidInput):
        await w.propose(request.id, cast.connector, **fields)
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_a_failed_proposal_of_a_new_expert_leaves_no_person_behind(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)
    commits = w.commits

    with pytest.raises(InvalidInput):
        await w.propose(
            request.id,
            cast.connector,
            expert=NewPerson("new@example.org", "New"),
            note="x" * (MAX_NOTE + 1),
        )

    assert w.commits == commits
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

    assert seen.state is State.AWAITING_EXPERT
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
        await w.propose(request.id, cast.connector, expert=NewPerson("new@example.org", "New"))

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
