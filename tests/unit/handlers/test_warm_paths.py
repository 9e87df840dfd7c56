"""Finding warm paths on the fakes: whom of their own connections an asker should ask
about a topic, the reasons given, and who may ask for whom."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.unit.world import World
from warmintro.domain.commands import AddConnection, FindWarmPaths
from warmintro.domain.errors import InvalidInput, NotFound, NotPermitted
from warmintro.domain.warm_paths import WarmPath

TOPIC = "B2B pricing for a SaaS"


async def _link(w: World, a: uuid.UUID, b: uuid.UUID, strength: int = 3) -> None:
    await w.run(AddConnection(a, b, strength, mutual=True), w.operator())


async def _paths(w: World, asker: uuid.UUID, **fields: object) -> list[WarmPath]:
    return await w.run(FindWarmPaths(TOPIC, **fields), w.member(asker))  # type: ignore[arg-type]


def _names(paths: list[WarmPath]) -> list[str]:
    return [p.candidate.person.name for p in paths]


async def test_a_connector_whose_connections_match_beats_one_whose_do_not(w: World) -> None:
    ada, hub = w.person("Ada"), w.person("Hub", headline="B2B founder")
    lone = w.person("Lone", headline="B2B sales")
    expert = w.person("Eve", expertise=("b2b pricing",))
    await _link(w, ada, hub)
    await _link(w, ada, lone)
    await _link(w, hub, expert)

    paths = await _paths(w, ada)

    assert _names(paths) == ["Hub", "Lone"]
    assert paths[0].candidate.matching_connections == 1
    assert paths[1].candidate.matching_connections == 0
    assert paths[1].candidate.match is not None and paths[1].candidate.match.headline


async def test_own_expertise_names_the_tags_the_topic_names(w: World) -> None:
    ada = w.person("Ada")
    eve = w.person("Eve", expertise=("b2b pricing", "hiring"))
    await _link(w, ada, eve)

    [path] = await _paths(w, ada)

    assert path.candidate.matched_tags == ("b2b pricing",)


async def test_the_asker_is_never_counted_among_a_connectors_matching_connections(
    w: World,
) -> None:
    ada = w.person("Ada", expertise=("b2b pricing",))
    hub = w.person("Hub", headline="B2B founder")
    await _link(w, ada, hub)

    [path] = await _paths(w, ada)

    assert path.candidate.matching_connections == 0


async def test_a_person_who_is_not_discoverable_is_never_counted(w: World) -> None:
    ada, hub = w.person("Ada"), w.person("Hub", headline="B2B founder")
    hidden = w.person("Zed", expertise=("b2b pricing",), discoverable=False)
    await _link(w, ada, hub)
    await _link(w, hub, hidden)

    [path] = await _paths(w, ada)

    assert path.candidate.matching_connections == 0


async def test_a_connector_at_their_budget_ranks_below_and_says_so(w: World) -> None:
    ada, other = w.person("Ada"), w.person("Oli")
    busy = w.person("Bea", expertise=("b2b pricing",), ask_budget=1)
    free = w.person("Fay", expertise=("b2b pricing",))
    await _link(w, ada, busy, 5)
    await _link(w, ada, free, 2)
    await _link(w, other, busy)
    await w.create(other, busy, topic="Hiring engineers")

    paths = await _paths(w, ada)

    assert _names(paths) == ["Fay", "Bea"]
    assert paths[1].at_budget and paths[1].candidate.open_asks == 1
    assert paths[1].candidate.budget == 1


async def test_snoozed_people_are_flagged_and_those_who_opted_out_left_out(w: World) -> None:
    ada = w.person("Ada")
    away = w.person(
        "Ann", expertise=("b2b pricing",), snooze_until=w.clock.now() + timedelta(days=3)
    )
    gone = w.person("Gus", expertise=("b2b pricing",), never_contact=True)
    here = w.person("Hal", headline="B2B pricing")
    for person in (away, gone, here):
        await _link(w, ada, person)

    paths = await _paths(w, ada)

    assert _names(paths) == ["Hal", "Ann"]
    assert paths[1].candidate.snoozed


async def test_answering_asks_counts_in_the_reasons(w: World) -> None:
    ada, other, expert = w.person("Ada"), w.person("Oli"), w.person("Eve")
    kim = w.person("Kim", headline="B2B pricing")
    await _link(w, ada, kim)
    await _link(w, other, kim)
    await _link(w, kim, expert)
    request = await w.create(other, kim, topic="Hiring engineers")
    w.clock.advance(timedelta(hours=6))
    await w.propose(request.id, kim, expert_id=expert)
    await w.accept(request.id, expert)

    [path] = await _paths(w, ada)

    record = path.candidate.record
    assert record is not None
    assert (record.asks_received, record.answered, record.introductions_made) == (1, 1, 1)
    assert record.median_hours_to_answer == 6.0
    assert record.answer_rate == 1.0


async def test_towards_a_target_only_connections_who_know_them_strongest_first(
    w: World,
) -> None:
    ada, target = w.person("Ada"), w.person("Tia")
    weak, strong, stranger = w.person("Wes"), w.person("Sol"), w.person("Sam", headline="B2B")
    for person in (weak, strong, stranger):
        await _link(w, ada, person)
    await w.run(AddConnection(weak, target, 2), w.operator())
    await w.run(AddConnection(strong, target, 5), w.operator())

    paths = await _paths(w, ada, target_id=target)

    assert _names(paths) == ["Sol", "Wes"]
    assert [p.candidate.knows_target_strength for p in paths] == [5, 2]


async def test_a_member_asks_only_for_itself(w: World) -> None:
    ada, bob = w.person("Ada"), w.person("Bob")

    with pytest.raises(NotPermitted):
        await _paths(w, ada, asker_id=bob)
    with pytest.raises(NotFound):
        await _paths(w, ada, asker_id=uuid.uuid4())
    assert await _paths(w, ada, asker_id=ada) == []


async def test_an_api_key_must_name_the_asker(w: World) -> None:
    ada = w.person("Ada")

    with pytest.raises(InvalidInput):
        await w.run(FindWarmPaths(TOPIC), w.operator())
    assert await w.run(FindWarmPaths(TOPIC, asker_id=ada), w.operator()) == []


async def test_a_topic_of_stop_words_only_matches_nobody_and_a_blank_one_is_invalid(
    w: World,
) -> None:
    ada, eve = w.person("Ada"), w.person("Eve", headline="How to price")
    await _link(w, ada, eve)

    assert await w.run(FindWarmPaths("how to", asker_id=ada), w.operator()) == []
    with pytest.raises(InvalidInput):
        await w.run(FindWarmPaths("  ", asker_id=ada), w.operator())
