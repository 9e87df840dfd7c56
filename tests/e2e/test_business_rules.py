"""The business rules seen through HTTP: wrong-state transitions are 409 naming the
state, duplicates 409, budgets and snoozes 429 with Retry-After, opt-outs 409."""

from __future__ import annotations

from datetime import timedelta

from tests.clock import FakeClock
from tests.e2e.world import Party, World, assert_problem


async def test_wrong_state_transitions_are_409_naming_the_current_state(
    world: World, party: Party
) -> None:
    rid = party.request
    before = await world.snapshot(rid)
    r = await world.act(rid, "feedback", party.asker, {"rating": "yes"})
    assert_problem(r, 409, "wrong_state", current_state="awaiting_connector")
    assert await world.snapshot(rid) == before

    await world.do(rid, "propose", party.connector, {"expert_id": party.expert})
    before = await world.snapshot(rid)
    other = await world.pid()
    for action, body in [
        ("forward", {"connector_id": other}),
        ("propose", {"expert_id": other}),
        ("feedback", {"rating": "no"}),
    ]:
        actor = party.asker if action == "feedback" else party.connector
        r = await world.act(rid, action, actor, body)
        assert_problem(r, 409, "wrong_state", current_state="awaiting_expert")
    assert await world.snapshot(rid) == before

    await world.do(rid, "cancel", party.asker)
    before = await world.snapshot(rid)
    r = await world.act(rid, "accept", party.expert)
    assert_problem(r, 409, "wrong_state", current_state="cancelled")
    r = await world.act(rid, "feedback", party.asker, {"rating": "no"})
    assert_problem(r, 409, "wrong_state", current_state="cancelled")
    assert await world.snapshot(rid) == before


async def test_a_duplicate_ask_is_409(world: World, party: Party) -> None:
    before = await world.requests()
    for topic in ("pricing a B2B SaaS product", "  Pricing a  b2b SaaS PRODUCT "):
        r = await world.api.post(
            "/v1/intro-requests",
            json={
                "asker_id": party.asker,
                "connector_id": party.connector,
                "topic": topic,
                "message": "again",
            },
        )
        assert_problem(r, 409, "duplicate_request")
    assert await world.requests() == before
    # Once the first is closed, the same ask may be made again.
    await world.do(party.request, "cancel", party.asker)
    again = await world.ask(party.asker, party.connector)
    assert again["id"] != party.request


async def test_the_sixth_open_ask_to_a_connector_is_429_with_retry_after(
    world: World, clock: FakeClock
) -> None:
    connector = await world.pid("Busy connector")
    asks = []
    for i in range(5):
        asks.append(await world.ask(await world.pid(), connector, topic=f"topic {i}"))
        clock.advance(timedelta(minutes=1))
    before = await world.requests()
    r = await world.api.post(
        "/v1/intro-requests",
        json={
            "asker_id": await world.pid(),
            "connector_id": connector,
            "topic": "one too many",
            "message": "m",
        },
    )
    assert_problem(r, 429, "ask_budget_exceeded")
    retry = r.headers["retry-after"]
    assert retry.isdigit() and int(retry) > 0
    # The earliest open ask's deadline frees a slot: 5 days after it, minus 5 minutes.
    assert int(retry) == int((timedelta(days=5) - timedelta(minutes=5)).total_seconds())
    assert await world.requests() == before

    # A closed ask frees the budget.
    await world.do(asks[0]["id"], "decline", connector, {"reason": "busy"})
    await world.ask(await world.pid(), connector, topic="now it fits")


async def test_a_snoozed_connector_is_429_until_the_snooze_ends(
    world: World, clock: FakeClock
) -> None:
    connector = await world.pid()
    until = clock.now() + timedelta(days=2)
    r = await world.api.patch(
        f"/v1/people/{connector}", json={"preferences": {"snooze_until": until.isoformat()}}
    )
    assert r.status_code == 200, r.text
    asker = await world.pid()
    body = {"asker_id": asker, "connector_id": connector, "topic": "t", "message": "m"}

    r = await world.api.post("/v1/intro-requests", json=body)
    assert_problem(r, 429, "ask_budget_exceeded")
    assert r.headers["retry-after"] == str(2 * 24 * 3600)
    assert await world.requests() == []

    clock.advance(timedelta(days=2, seconds=1))
    r = await world.api.post("/v1/intro-requests", json=body)
    assert r.status_code == 201, r.text


async def test_never_contact_people_are_409_recipient_unavailable(
    world: World, party: Party
) -> None:
    shy = await world.pid(preferences={"never_contact": True})
    before = await world.requests()
    r = await world.api.post(
        "/v1/intro-requests",
        json={"asker_id": party.asker, "connector_id": shy, "topic": "t", "message": "m"},
    )
    assert_problem(r, 409, "recipient_unavailable")
    assert await world.requests() == before

    # Opting out later works too, and applies to experts as well.
    r = await world.api.patch(
        f"/v1/people/{party.expert}", json={"preferences": {"never_contact": True}}
    )
    assert r.status_code == 200
    snapshot = await world.snapshot(party.request)
    r = await world.act(party.request, "propose", party.connector, {"expert_id": party.expert})
    assert_problem(r, 409, "recipient_unavailable")
    assert await world.snapshot(party.request) == snapshot


async def test_an_expert_with_three_pending_consents_is_429(world: World, clock: FakeClock) -> None:
    expert = await world.pid("Popular expert")
    for i in range(3):
        party = await world.party(topic=f"topic {i}")
        await world.do(party.request, "propose", party.connector, {"expert_id": expert})
        clock.advance(timedelta(hours=1))
    fourth = await world.party(topic="topic 4")
    before = await world.snapshot(fourth.request)
    r = await world.act(fourth.request, "propose", fourth.connector, {"expert_id": expert})
    assert_problem(r, 429, "ask_budget_exceeded", role="expert")
    # The first consent's 7-day deadline frees a slot.
    assert r.headers["retry-after"] == str(int((timedelta(days=7, hours=-3)).total_seconds()))
    assert await world.snapshot(fourth.request) == before


async def test_forwarding_respects_the_new_connectors_budget_and_duplicates(
    world: World, party: Party
) -> None:
    shy = await world.pid(preferences={"never_contact": True})
    full = await world.pid(preferences={"ask_budget": 0})
    before = await world.snapshot(party.request)
    r = await world.act(party.request, "forward", party.connector, {"connector_id": shy})
    assert_problem(r, 409, "recipient_unavailable")
    r = await world.act(party.request, "forward", party.connector, {"connector_id": full})
    assert_problem(r, 429, "ask_budget_exceeded")
    assert int(r.headers["retry-after"]) > 0

    # The asker already asks `other` about the same topic: forwarding there would duplicate it.
    other = await world.pid()
    await world.ask(party.asker, other)
    r = await world.act(party.request, "forward", party.connector, {"connector_id": other})
    assert_problem(r, 409, "duplicate_request")
    assert await world.snapshot(party.request) == before
