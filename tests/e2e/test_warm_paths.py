"""Warm paths through the API, on SQLite and PostgreSQL: on a seeded network, whom
of their own connections an asker should ask about a topic, with the reasons, and
nobody two steps away ever named."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.e2e.world import World, as_, assert_problem, bearer

TOPIC = "B2B pricing for a SaaS"


@dataclass
class Network:
    """The asker Ada and her connections; behind them, people she does not know."""

    ada: str
    hub: str
    """Knows two pricing experts, one of them not discoverable."""
    lone: str
    """Matches the topic as Hub does, but knows nobody who does."""
    busy: str
    """A pricing expert, strongly linked, at their ask budget."""
    second_degree: list[dict[str, Any]]


async def seeded(world: World) -> Network:
    ada = await world.pid("Ada")
    hub = await world.pid("Hub", headline="B2B founder")
    lone = await world.pid("Lone", headline="B2B sales")
    busy = await world.pid("Bea", expertise=["b2b pricing"], preferences={"ask_budget": 1})
    eve = await world.person("Eve Expert", expertise=["b2b pricing"])
    zed = await world.person(
        "Zed Hidden", expertise=["saas pricing"], preferences={"discoverable": False}
    )
    oli = await world.person("Oli Other")
    for person, strength in ((hub, 3), (lone, 3), (busy, 5)):
        await world.connect(ada, person, strength)
        await world.connect(person, ada, strength)
    await world.connect(hub, eve["id"], 4)
    await world.connect(hub, zed["id"], 4)
    await world.connect(busy, oli["id"], 2)
    await world.ask(oli["id"], busy, topic="Hiring engineers")
    return Network(ada, hub, lone, busy, [eve, zed, oli])


async def warm_paths(world: World, headers: dict[str, str] | None = None, **params: Any) -> Any:
    r = await world.api.get("/v1/warm-paths", params={"topic": TOPIC, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_asker_s_connections_ranked_with_their_reasons(world: World) -> None:
    net = await seeded(world)

    items = (await warm_paths(world, asker_id=net.ada))["items"]

    assert [i["person"]["id"] for i in items] == [net.hub, net.lone, net.busy]
    hub, lone, busy = (i["reasons"] for i in items)
    assert items[0]["person"] == {"id": net.hub, "name": "Hub", "headline": "B2B founder"}
    assert hub["matching_connections"] == 1, "Zed is not discoverable: never counted"
    assert lone["matching_connections"] == 0
    assert hub["own_expertise"] == {"matched_tags": [], "headline": True, "bio": False}
    assert busy["own_expertise"]["matched_tags"] == ["b2b pricing"]
    assert (busy["at_budget"], busy["open_asks"], busy["budget"]) == (True, 1, 1)
    assert not hub["at_budget"] and hub["budget"] == 5
    assert busy["strength"] == 5 and hub["strength"] == 3
    assert busy["answers"] == {
        "asks_received": 1,
        "answered": 0,
        "answer_rate": None,
        "median_hours_to_answer": None,
        "introductions_made": 0,
    }
    assert items[0]["score"] > items[1]["score"] > items[2]["score"]


async def test_a_strong_link_beats_a_weak_one(world: World) -> None:
    ada, strong, weak = await world.pid("Ada"), await world.pid("Sol"), await world.pid("Wes")
    for person, strength in ((weak, 1), (strong, 5)):
        await world.api.patch(f"/v1/people/{person}", json={"headline": "Pricing lead"})
        await world.connect(ada, person, strength)

    items = (await warm_paths(world, asker_id=ada))["items"]

    assert [i["person"]["id"] for i in items] == [strong, weak]


async def test_nobody_two_steps_away_is_named_anywhere(world: World) -> None:
    net = await seeded(world)

    answers = [
        await warm_paths(world, asker_id=net.ada),
        await warm_paths(world, bearer(await world.token(net.ada))),
        await warm_paths(world, asker_id=net.ada, target_id=net.second_degree[0]["id"]),
    ]

    text = json.dumps(answers)
    for person in net.second_degree:
        for secret in (person["id"], person["name"], person["email"]):
            assert secret not in text


async def test_a_member_token_asks_for_itself_only(world: World) -> None:
    net = await seeded(world)
    token = bearer(await world.token(net.ada))

    own = await warm_paths(world, token)
    named = await warm_paths(world, token, asker_id=net.ada)
    other = await world.api.get(
        "/v1/warm-paths", params={"topic": TOPIC, "asker_id": net.hub}, headers=token
    )

    assert own == named and len(own["items"]) == 3
    assert_problem(other, 403)


async def test_an_api_key_names_the_asker_or_acts_for_one(world: World) -> None:
    net = await seeded(world)

    missing = await world.api.get("/v1/warm-paths", params={"topic": TOPIC})
    on_behalf = await warm_paths(world, as_(net.ada))

    assert_problem(missing, 422)
    assert on_behalf == await warm_paths(world, asker_id=net.ada)


async def test_towards_a_target_the_connections_who_know_them_strongest_first(
    world: World,
) -> None:
    net = await seeded(world)
    eve = net.second_degree[0]["id"]
    await world.connect(net.lone, eve, 5)

    items = (await warm_paths(world, asker_id=net.ada, target_id=eve))["items"]

    assert [i["person"]["id"] for i in items] == [net.lone, net.hub]
    assert [i["reasons"]["knows_target_strength"] for i in items] == [5, 4]


async def test_the_number_of_queries_does_not_grow_with_the_network(world: World) -> None:
    net = await seeded(world)
    await warm_paths(world, asker_id=net.ada)  # credentials cached, as in steady use
    with world.statements() as small:
        await warm_paths(world, asker_id=net.ada)
    for n in range(6):
        person = await world.pid(f"More {n}", headline="Pricing")
        await world.connect(net.ada, person, 2)
        await world.connect(person, net.busy, 2)

    with world.statements() as large:
        items = (await warm_paths(world, asker_id=net.ada))["items"]

    assert len(items) == 9
    assert len(large) == len(small)
