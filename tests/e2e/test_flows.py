"""Whole introductions through the HTTP API (the lifecycle): every path of the state machine."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.clock import FakeClock
from tests.e2e.world import Party, World, as_, assert_problem, collect

CREATED = "intro_request.created"
PROPOSED = "intro_request.expert_proposed"
INTRODUCED = "intro_request.introduced"
COMPLETED = "intro_request.completed"


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_full_intro_create_propose_accept_feedback_completes(
    world: World, clock: FakeClock
) -> None:
    asker, connector = await world.pid("Asker"), await world.pid("Connector")
    expert = await world.pid("Expert", expertise=["pricing"])
    seen: list[str] = []  # every response body of the flow

    created = await world.ask(asker, connector, topic="pricing", message="How do I price?")
    seen.append(json.dumps(created))
    rid = created["id"]
    assert created["state"] == "awaiting_connector"
    assert created["asker_id"] == asker and created["connector_id"] == connector
    assert created["expert_id"] is None and created["hops"] == 0
    assert at(created["deadline_at"]) == clock.now() + timedelta(days=5)
    assert created["created_at"] and created["updated_at"]

    clock.advance(timedelta(hours=1))
    proposed = await world.do(rid, "propose", connector, {"expert_id": expert, "note": "Jane!"})
    seen.append(json.dumps(proposed))
    assert proposed["state"] == "awaiting_expert"
    assert proposed["expert_id"] == expert and proposed["viewer_role"] == "connector"
    assert at(proposed["deadline_at"]) == clock.now() + timedelta(days=7)

    clock.advance(timedelta(hours=1))
    accepted = await world.do(rid, "accept", expert, {"note": "happy to help"})
    seen.append(json.dumps(accepted))
    assert accepted["state"] == "introduced"
    assert accepted["viewer_role"] == "expert" and accepted["expert_id"] == expert
    assert at(accepted["introduced_at"]) == clock.now()
    assert accepted["deadline_at"] is None

    clock.advance(timedelta(days=2))
    done = await world.do(rid, "feedback", asker, {"rating": "yes", "note": "very useful"})
    seen.append(json.dumps(done))
    assert done["state"] == "completed" and done["feedback_rating"] == "yes"
    assert done["expert_id"] == expert  # the asker sees the expert after acceptance

    final = await world.view(rid)
    seen.append(json.dumps(final))
    assert final["state"] == "completed" and final["expert_id"] == expert

    events = await world.events(rid)
    seen.append(json.dumps(events))
    assert types(events) == [CREATED, PROPOSED, INTRODUCED, COMPLETED]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["actor_id"] for e in events] == [asker, connector, expert, asker]
    assert [e["data"]["state"] for e in events] == [
        "awaiting_connector",
        "awaiting_expert",
        "introduced",
        "completed",
    ]
    assert events[3]["data"]["rating"] == "yes"

    # Each step queued its email in the outbox, and nothing of the outbox is exposed.
    rows = await world.mail.rows(rid)
    assert sorted(r.template for r in rows) == sorted(
        ["asker_ask_sent", "connector_ask", "expert_consent", "introduction", "connector_thank_you"]
    )
    for name in ("people", "intro-requests"):
        r = await world.api.get(f"/v1/{name}")
        seen.append(r.text)
    blob = "\n".join(seen)
    assert "outbox" not in blob and "template" not in blob
    for row in rows:
        assert str(row.id) not in blob
    spec = (await world.api.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if "outbox" in p]
    assert (await world.api.get("/v1/outbox")).status_code == 404


async def test_connector_declines_without_fallbacks_closes_as_declined(
    world: World, party: Party
) -> None:
    declined = await world.do(party.request, "decline", party.connector, {"reason": "busy"})
    assert declined["state"] == "declined"
    assert declined["decline_reason"] == "busy"
    assert declined["deadline_at"] is None
    for_asker = await world.view(party.request, party.asker)
    assert for_asker["state"] == "declined" and for_asker["decline_reason"] is None
    assert "busy" not in json.dumps(await world.events(party.request, party.asker))
    assert types(await world.events(party.request)) == [CREATED, "intro_request.declined"]
    # The asker is told "not this time".
    assert "asker_not_this_time" in [r.template for r in await world.mail.rows(party.request)]


async def test_connector_decline_hands_off_to_next_fallback_who_proposes(world: World) -> None:
    asker, connector, expert = await world.pid(), await world.pid(), await world.pid()
    first, second = await world.pid("Fallback 1"), await world.pid("Fallback 2")
    created = await world.ask(asker, connector, fallback_connector_ids=[first, second])
    rid = created["id"]
    assert created["fallback_connector_ids"] == [first, second]

    handed = await world.do(rid, "decline", connector, {"reason": "not_now"})
    assert handed["state"] == "awaiting_connector"
    assert handed["connector_id"] == first
    assert handed["fallback_connector_ids"] == [second]  # one at a time, never all at once
    events = await world.events(rid)
    assert types(events) == [CREATED, "intro_request.handed_off"]
    assert events[1]["data"]["from_connector_id"] == connector
    assert events[1]["data"]["connector_id"] == first

    # The first fallback is now the connector and can propose; the second is not a party yet.
    assert (await world.view(rid, first))["viewer_role"] == "connector"
    r = await world.api.get(f"/v1/intro-requests/{rid}", headers=as_(second))
    assert_problem(r, 404, "not_found")

    proposed = await world.do(rid, "propose", first, {"expert_id": expert})
    assert proposed["state"] == "awaiting_expert" and proposed["expert_id"] == expert
    assert proposed["connector_id"] == first


async def test_hand_off_skips_fallbacks_who_cannot_be_asked_and_then_closes(world: World) -> None:
    asker, connector = await world.pid(), await world.pid()
    opted_out, snoozed, willing = await world.pid(), await world.pid(), await world.pid()
    rid = (await world.ask(asker, connector, fallback_connector_ids=[opted_out, snoozed, willing]))[
        "id"
    ]
    for person, prefs in [
        (opted_out, {"never_contact": True}),
        (snoozed, {"snooze_until": "2099-01-01T00:00:00Z"}),
    ]:
        r = await world.api.patch(f"/v1/people/{person}", json={"preferences": prefs})
        assert r.status_code == 200, r.text

    handed = await world.do(rid, "decline", connector, {"reason": "busy"})
    assert handed["state"] == "awaiting_connector" and handed["connector_id"] == willing
    assert handed["fallback_connector_ids"] == []

    closed = await world.do(rid, "decline", willing, {"reason": "not_a_fit"})
    assert closed["state"] == "declined"
    assert types(await world.events(rid)) == [
        CREATED,
        "intro_request.handed_off",
        "intro_request.declined",
    ]


async def test_forward_moves_the_ask_and_the_old_connector_can_no_longer_act(
    world: World, party: Party
) -> None:
    rid = party.request
    c2, c3, c4, c5 = [await world.pid(f"C{i}") for i in range(2, 6)]

    forwarded = await world.do(rid, "forward", party.connector, {"connector_id": c2, "note": "x"})
    assert forwarded["state"] == "awaiting_connector"
    assert forwarded["connector_id"] == c2 and forwarded["hops"] == 1

    # The previous connector has no say any more.
    r = await world.act(rid, "propose", party.connector, {"expert_id": party.expert})
    assert_problem(r, 403, "not_permitted")
    r = await world.act(rid, "decline", party.connector, {"reason": "busy"})
    assert_problem(r, 403, "not_permitted")
    r = await world.act(rid, "forward", party.connector, {"connector_id": c3})
    assert_problem(r, 403, "not_permitted")

    # Never back to someone already part of it.
    for previous in (party.connector, party.asker):
        r = await world.act(rid, "forward", c2, {"connector_id": previous})
        assert_problem(r, 422)
    assert (await world.view(rid))["connector_id"] == c2

    assert (await world.do(rid, "forward", c2, {"connector_id": c3}))["hops"] == 2
    third = await world.do(rid, "forward", c3, {"connector_id": c4})
    assert third["hops"] == 3 and third["connector_id"] == c4

    # At most 3 hops.
    r = await world.act(rid, "forward", c4, {"connector_id": c5})
    assert_problem(r, 422)
    after = await world.view(rid)
    assert after["hops"] == 3 and after["connector_id"] == c4

    proposed = await world.do(rid, "propose", c4, {"expert_id": party.expert})
    assert proposed["state"] == "awaiting_expert"
    events = await world.events(rid)
    assert types(events) == [CREATED] + ["intro_request.forwarded"] * 3 + [PROPOSED]
    assert [e["data"].get("hops") for e in events[1:4]] == [1, 2, 3]


async def test_expert_decline_returns_to_connector_with_reason_for_connector_only(
    world: World, party: Party
) -> None:
    rid = party.request
    await world.do(rid, "propose", party.connector, {"expert_id": party.expert})
    back = await world.do(rid, "decline", party.expert, {"reason": "not_a_fit", "note": "no"})
    assert back["state"] == "awaiting_connector"

    for_connector = await world.view(rid, party.connector)
    assert for_connector["state"] == "awaiting_connector"
    assert for_connector["decline_reason"] == "not_a_fit"
    assert for_connector["expert_id"] is None

    for_asker = await world.view(rid, party.asker)
    assert for_asker["state"] == "awaiting_connector"
    assert for_asker["decline_reason"] is None
    assert for_asker["expert_id"] is None
    asker_events = await world.events(rid, party.asker)
    assert "not_a_fit" not in json.dumps(asker_events)
    connector_events = await world.events(rid, party.connector)
    assert connector_events[-1]["type"] == "intro_request.expert_declined"
    assert connector_events[-1]["data"]["reason"] == "not_a_fit"

    # The connector may now propose someone else, but not the one who said no.
    await world.connect(party.connector, party.expert, 5)
    r = await world.api.get(f"/v1/intro-requests/{rid}/suggestions", headers=as_(party.connector))
    assert r.status_code == 200 and r.json()["items"] == []
    r = await world.act(rid, "propose", party.connector, {"expert_id": party.expert})
    assert_problem(r, 422)
    other = await world.pid("Second expert")
    again = await world.do(rid, "propose", party.connector, {"expert_id": other})
    assert again["state"] == "awaiting_expert" and again["expert_id"] == other


async def test_proposing_a_new_expert_by_email_creates_the_person(
    world: World, party: Party
) -> None:
    email = "new.expert@Example.COM"
    proposed = await world.do(
        party.request,
        "propose",
        party.connector,
        {"expert": {"email": email, "name": "New Expert"}, "note": "she knows"},
    )
    # The connector sees them as typed until they accept; the workspace by id.
    assert (proposed["state"], proposed["expert_id"]) == ("awaiting_expert", None)
    expert_id = (await world.view(party.request))["expert_id"]
    assert expert_id and expert_id not in (party.asker, party.connector, party.expert)

    person = (await world.api.get(f"/v1/people/{expert_id}")).json()
    assert person["name"] == "New Expert"
    assert person["email"].casefold() == email.casefold()
    found = (await world.api.get("/v1/people", params={"q": "new.expert"})).json()["items"]
    assert [p["id"] for p in found] == [expert_id]

    # Proposing the same email again is the same decision, not a second person.
    again = await world.do(
        party.request,
        "propose",
        party.connector,
        {"expert": {"email": "NEW.EXPERT@example.com", "name": "Someone Else"}},
    )
    assert again == proposed
    assert len(await world.events(party.request)) == 2
    assert len(await collect(world.api, "/v1/people")) == 4

    # The new person is the proposed expert and can consent.
    accepted = await world.do(party.request, "accept", expert_id)
    assert accepted["state"] == "introduced"


async def test_suggestions_rank_the_connectors_connections_by_topic_match(world: World) -> None:
    asker, connector = await world.pid("Asker", expertise=["pricing"]), await world.pid("C")
    best = await world.pid("Best", expertise=["pricing", "saas"])
    good = await world.pid("Good", expertise=["pricing"])
    weak = await world.pid("Weak", headline="Pricing consultant")
    unrelated = await world.pid("Unrelated", expertise=["gardening"])
    stranger = await world.pid("Stranger", expertise=["pricing", "saas"])  # not connected
    snoozed = await world.pid(
        "Snoozed",
        expertise=["pricing", "saas"],
        preferences={"snooze_until": "2030-01-01T00:00:00Z"},
    )
    for person, strength in [
        (best, 2),
        (good, 5),
        (weak, 5),
        (unrelated, 5),
        (asker, 5),
        (snoozed, 5),
    ]:
        await world.connect(connector, person, strength)
    assert stranger
    rid = (await world.ask(asker, connector, topic="pricing saas", message="Pricing help"))["id"]

    r = await world.api.get(f"/v1/intro-requests/{rid}/suggestions", headers=as_(connector))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert r.json()["next_cursor"] is None  # one ranked page
    assert [s["person_id"] for s in items] == [best, good, weak]
    assert items[0]["matched"] == ["pricing", "saas"] and items[0]["strength"] == 2
    assert items[0]["score"] > items[1]["score"] > items[2]["score"]

    limited = await world.api.get(
        f"/v1/intro-requests/{rid}/suggestions", params={"limit": 1}, headers=as_(connector)
    )
    assert [s["person_id"] for s in limited.json()["items"]] == [best]

    # Suggestions are the connector's tool, not the asker's.
    r = await world.api.get(f"/v1/intro-requests/{rid}/suggestions", headers=as_(asker))
    assert_problem(r, 403, "not_permitted")


async def test_asker_cancels_a_waiting_request(world: World, party: Party) -> None:
    rid = party.request
    r = await world.act(rid, "cancel", party.connector)
    assert_problem(r, 403, "not_permitted")
    await world.do(rid, "propose", party.connector, {"expert_id": party.expert})

    cancelled = await world.do(rid, "cancel", party.asker)
    assert cancelled["state"] == "cancelled" and cancelled["deadline_at"] is None
    assert cancelled["expert_id"] is None  # still hidden from the asker
    assert (await world.events(rid))[-1]["type"] == "intro_request.cancelled"
    r = await world.act(rid, "accept", party.expert)
    assert_problem(r, 409, "wrong_state", current_state="cancelled")
    # The waiting expert is told.
    party_cancelled = [r for r in await world.mail.rows(rid) if r.template == "party_cancelled"]
    assert [str(r.recipient_id) for r in party_cancelled] == [party.expert]


async def test_repeating_a_decision_is_idempotent(world: World, party: Party) -> None:
    rid = party.request

    async def twice(action: str, actor: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        first = await world.do(rid, action, actor, body)
        events, emails = await world.events(rid), len(await world.mail.rows(rid))
        again = await world.do(rid, action, actor, body)
        assert again == first, action
        assert await world.events(rid) == events, f"{action} recorded a second event"
        assert len(await world.mail.rows(rid)) == emails, f"{action} sent a second email"
        return first

    await twice("propose", party.connector, {"expert_id": party.expert})
    await twice("accept", party.expert, {})
    done = await twice("feedback", party.asker, {"rating": "somewhat"})
    assert done["state"] == "completed"
    assert types(await world.events(rid)) == [CREATED, PROPOSED, INTRODUCED, COMPLETED]

    other = await world.party(topic="another topic")
    rid = other.request
    await twice("forward", other.connector, {"connector_id": await world.pid()})
    forwarded_to = (await world.view(rid))["connector_id"]
    await twice("decline", forwarded_to, {"reason": "busy"})

    third = await world.party(topic="a third topic")
    rid = third.request
    await twice("cancel", third.asker)


async def test_a_different_decision_after_one_is_taken_is_409_naming_the_state(
    world: World, party: Party
) -> None:
    rid = party.request
    await world.do(rid, "propose", party.connector, {"expert_id": party.expert})
    other = await world.pid()
    r = await world.act(rid, "propose", party.connector, {"expert_id": other})
    assert_problem(r, 409, "wrong_state", current_state="awaiting_expert")

    await world.do(rid, "accept", party.expert)
    r = await world.act(rid, "decline", party.expert, {"reason": "busy"})
    assert_problem(r, 409, "wrong_state", current_state="introduced")

    await world.do(rid, "feedback", party.asker, {"rating": "yes"})
    r = await world.act(rid, "feedback", party.asker, {"rating": "no"})
    assert_problem(r, 409, "wrong_state", current_state="completed")
    r = await world.act(rid, "cancel", party.asker)
    assert_problem(r, 409, "wrong_state", current_state="completed")
    assert (await world.view(rid))["feedback_rating"] == "yes"

    declined = await world.party(topic="second topic")
    await world.do(declined.request, "decline", declined.connector, {"reason": "busy"})
    r = await world.act(declined.request, "propose", declined.connector, {"expert_id": other})
    assert_problem(r, 409, "wrong_state", current_state="declined")
    r = await world.act(declined.request, "cancel", declined.asker)
    assert_problem(r, 409, "wrong_state", current_state="declined")
    assert len(await world.events(declined.request)) == 2
