"""Creating an intro request on the fakes: who may ask whom, duplicates, budgets,
unknown and unreachable people; a refused ask stores and sends nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.world import MESSAGE, TOPIC, Cast, World, unchanged
from warmintro.domain.commands import CreateIntroRequest
from warmintro.domain.errors import (
    AskBudgetExceeded,
    DuplicateRequest,
    InvalidInput,
    NotPermitted,
    RecipientUnavailable,
    UnknownPerson,
)
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    Role,
    State,
)
from warmintro.domain.people import EmailStatus, Workspace


async def test_create_stores_the_request_and_asks_the_connector(w: World, cast: Cast) -> None:
    commits = w.commits
    cmd = CreateIntroRequest(
        asker_id=cast.asker, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )

    seen = await w.run(cmd, w.operator())

    stored = w.stored(seen.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.asker_id == cast.asker
    assert stored.deadline_at == w.clock.now() + timedelta(days=5)
    assert [e.type for e in w.store.stored_events(w.workspace.id, stored.id)] == [
        "intro_request.created"
    ]
    assert w.emails() == [("asker_ask_sent", cast.asker, ()), ("connector_ask", cast.connector, ())]
    assert {e.request_id for e in w.store.emails} == {stored.id}
    assert w.commits == commits + 1
    assert seen.viewer_role is None  # the operator


async def test_a_member_asks_for_itself_when_no_asker_is_given(w: World, cast: Cast) -> None:
    cmd = CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )

    seen = await w.run(cmd, w.member(cast.asker))

    assert seen.asker_id == cast.asker
    assert seen.viewer_role is Role.ASKER


async def test_a_member_asking_for_someone_else_is_not_permitted(w: World, cast: Cast) -> None:
    cmd = CreateIntroRequest(
        asker_id=cast.stranger, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    before = unchanged(w)

    with pytest.raises(NotPermitted):
        await w.run(cmd, w.member(cast.asker))

    assert w.store.contents() == before


async def test_an_api_key_without_asker_is_invalid_input(w: World, cast: Cast) -> None:
    cmd = CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    with pytest.raises(InvalidInput) as info:
        await w.run(cmd, w.operator())
    assert info.value.facts["field"] == "asker_id"
    assert w.store.data.requests == {}


async def test_a_second_open_ask_for_the_same_topic_is_a_duplicate(w: World, cast: Cast) -> None:
    first = await w.create(cast.asker, cast.connector, topic="Pricing  a b2b SaaS")
    before = unchanged(w)
    commits = w.commits
    cmd = CreateIntroRequest(
        asker_id=None, connector_id=cast.connector, topic=" pricing a B2B saas ", message=MESSAGE
    )

    with pytest.raises(DuplicateRequest) as info:
        await w.run(cmd, w.member(cast.asker))

    assert info.value.facts["existing_id"] == str(first.id)
    assert w.commits == commits
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
    by_field: dict[str, dict[str, Any]] = {
        "connector_id": {"connector": nobody},
        "target_id": {"target_id": nobody},
        "fallback_connector_ids": {"fallback_connector_ids": (nobody,)},
    }
    fields = by_field[field]
    args = {"connector": cast.connector} | fields
    connector = args.pop("connector")

    with pytest.raises(UnknownPerson) as info:
        await w.create(cast.asker, connector, **args)

    assert info.value.facts["field"] == field
    assert w.store.data.requests == {}


async def test_an_unknown_asker_is_refused(w: World, cast: Cast) -> None:
    cmd = CreateIntroRequest(
        asker_id=uuid.uuid4(), connector_id=cast.connector, topic=TOPIC, message=MESSAGE
    )
    with pytest.raises(UnknownPerson) as info:
        await w.run(cmd, w.operator())
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
