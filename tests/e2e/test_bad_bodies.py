"""Bad request bodies of every kind: a documented 422 problem+json, and nothing
changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.e2e.bodies import NOBODY, Body, ask, assert_invalid, long, person
from tests.e2e.world import Cases, Party, World, as_, assert_problem, collect

ASK_CASES: dict[str, tuple[Body, str | None]] = {
    "topic not a string": (lambda p: ask(p, topic=123), None),
    "message not a string": (lambda p: ask(p, message=["a"]), None),
    "connector_id a number": (lambda p: ask(p, connector_id=42), None),
    "fallbacks not a list": (lambda p: ask(p, fallback_connector_ids=p.connector), None),
    "missing connector_id": (lambda p: ask(p, connector_id=...), None),
    "missing topic": (lambda p: ask(p, topic=...), None),
    "missing message": (lambda p: ask(p, message=...), None),
    "missing asker_id with a bare API key": (lambda p: ask(p, asker_id=...), "invalid_input"),
    "unknown extra field": (lambda p: ask(p, priority="high"), None),
    "empty topic": (lambda p: ask(p, topic=""), None),
    "blank topic": (lambda p: ask(p, topic="   "), None),
    "topic over 200": (lambda p: ask(p, topic=long(201)), None),
    "message over 5000": (lambda p: ask(p, message=long(5001)), None),
    "malformed connector_id": (lambda p: ask(p, connector_id="not-a-uuid"), None),
    "malformed asker_id": (lambda p: ask(p, asker_id="1234"), None),
    "malformed fallback id": (lambda p: ask(p, fallback_connector_ids=["nope"]), None),
    "unknown connector": (lambda p: ask(p, connector_id=NOBODY), "unknown_person"),
    "unknown asker": (lambda p: ask(p, asker_id=NOBODY), "unknown_person"),
    "unknown target": (lambda p: ask(p, target_id=NOBODY), "unknown_person"),
    "unknown fallback": (lambda p: ask(p, fallback_connector_ids=[NOBODY]), "unknown_person"),
    "asker is connector": (lambda p: ask(p, connector_id=p.asker), "invalid_input"),
    "fallback is connector": (
        lambda p: ask(p, fallback_connector_ids=[p.expert]),
        "invalid_input",
    ),
    "too many fallbacks": (
        lambda p: ask(p, fallback_connector_ids=[str(uuid.uuid4()) for _ in range(6)]),
        None,
    ),
    "body is a list": (lambda p: [ask(p)], None),
    "body is null": (lambda p: None, None),
}


async def test_bad_intro_request_bodies_are_422_and_create_nothing(
    world: World, party: Party
) -> None:
    before = await world.requests()
    cases = Cases()
    for name, (make, code) in ASK_CASES.items():
        with cases.case(name):
            assert_invalid(await world.api.post("/v1/intro-requests", json=make(party)), code)
    cases.check()
    assert await world.requests() == before


PERSON_CASES: dict[str, Any] = {
    "missing email": person(email=...),
    "missing name": person(name=...),
    "empty name": person(name=""),
    "blank name": person(name="   "),
    "name over 200": person(name=long(201)),
    "bio over 5000": person(bio=long(5001)),
    "headline over 300": person(headline=long(301)),
    "email not a string": person(email=5),
    "email without @": person(email="not-an-email"),
    "email without domain dot": person(email="a@b"),
    "email with space": person(email="a b@example.com"),
    "email with two @": person(email="a@b@example.com"),
    "expertise a string": person(expertise="pricing"),
    "empty expertise tag": person(expertise=[""]),
    "expertise tag over 64": person(expertise=[long(65)]),
    "too many expertise tags": person(expertise=[f"t{i}" for i in range(31)]),
    "unknown extra field": person(role="admin"),
    "ask_budget negative": person(preferences={"ask_budget": -1}),
    "ask_budget over 100": person(preferences={"ask_budget": 101}),
    "snooze_until not a time": person(preferences={"snooze_until": "soon"}),
    "never_contact not a bool": person(preferences={"never_contact": "maybe"}),
    # Values of another JSON type than the spec's, which pydantic alone would take.
    "ask_budget as text": person(preferences={"ask_budget": "5"}),
    "never_contact as a number": person(preferences={"never_contact": 1}),
    "snooze_until as seconds": person(preferences={"snooze_until": 0}),
    "email on a special-use domain": person(email="someone@example.test"),
    "unknown preference": person(preferences={"vacation": True}),
    "body is a list": [person()],
}


async def test_bad_person_bodies_are_422_and_create_nothing(world: World) -> None:
    cases = Cases()
    for name, body in PERSON_CASES.items():
        with cases.case(name):
            assert_invalid(await world.api.post("/v1/people", json=body))
    cases.check()
    assert await collect(world.api, "/v1/people") == []


PATCH_CASES: dict[str, Any] = {
    "empty name": {"name": ""},
    "name over 200": {"name": long(201)},
    "bio over 5000": {"bio": long(5001)},
    "invalid email": {"email": "nope"},
    "expertise a string": {"expertise": "x"},
    "unknown extra field": {"admin": True},
    "snooze_until not a time": {"preferences": {"snooze_until": "tomorrow"}},
    "ask_budget over 100": {"preferences": {"ask_budget": 1000}},
}


async def test_bad_person_patches_are_422_and_change_nothing(world: World) -> None:
    who = await world.person(bio="original", expertise=["pricing"])
    cases = Cases()
    for name, body in PATCH_CASES.items():
        with cases.case(name):
            assert_invalid(await world.api.patch(f"/v1/people/{who['id']}", json=body))
            assert (await world.api.get(f"/v1/people/{who['id']}")).json() == who
    cases.check()


async def test_duplicate_email_is_409_and_creates_nothing(world: World) -> None:
    first = await world.person(email="Same@Example.com")
    before = await collect(world.api, "/v1/people")
    r = await world.api.post("/v1/people", json=person(email="same@example.COM"))
    assert_problem(r, 409, "already_exists")
    assert await collect(world.api, "/v1/people") == before
    other = await world.pid()
    r = await world.api.patch(f"/v1/people/{other}", json={"email": first["email"]})
    assert_problem(r, 409, "already_exists")


CONNECTION_CASES: dict[str, tuple[Callable[[str], Any], str | None]] = {
    "strength 0": (lambda o: {"person_id": o, "strength": 0}, None),
    "strength 6": (lambda o: {"person_id": o, "strength": 6}, None),
    "strength a word": (lambda o: {"person_id": o, "strength": "strong"}, None),
    "strength a fraction": (lambda o: {"person_id": o, "strength": 3.5}, None),
    "strength as text": (lambda o: {"person_id": o, "strength": "3"}, None),
    "strength as a boolean": (lambda o: {"person_id": o, "strength": True}, None),
    "missing strength": (lambda o: {"person_id": o}, None),
    "missing person_id": (lambda o: {"strength": 3}, None),
    "malformed person_id": (lambda o: {"person_id": "abc", "strength": 3}, None),
    "unknown person_id": (lambda o: {"person_id": NOBODY, "strength": 3}, "unknown_person"),
    "context over 500": (lambda o: {"person_id": o, "strength": 3, "context": long(501)}, None),
    "unknown extra field": (lambda o: {"person_id": o, "strength": 3, "since": 2020}, None),
}


async def test_bad_connection_bodies_are_422_and_connect_nobody(world: World) -> None:
    me, other = await world.pid(), await world.pid()
    cases = Cases()
    for name, (make, code) in CONNECTION_CASES.items():
        with cases.case(name):
            r = await world.api.post(f"/v1/people/{me}/connections", json=make(other))
            assert_invalid(r, code)
    r = await world.api.post(f"/v1/people/{me}/connections", json={"person_id": me, "strength": 3})
    with cases.case("connected to themself"):
        assert_invalid(r)
    cases.check()
    assert (await world.api.get(f"/v1/people/{me}/connections")).json()["items"] == []


ACTION_CASES: dict[str, tuple[str, str, Callable[[Party], Any], str | None]] = {
    # name: (action, acting party, body, exact code)
    "propose with neither expert": ("propose", "connector", lambda p: {}, None),
    "propose with both": (
        "propose",
        "connector",
        lambda p: {"expert_id": p.expert, "expert": {"email": "e@x.io", "name": "E"}},
        None,
    ),
    "propose malformed expert_id": ("propose", "connector", lambda p: {"expert_id": "x"}, None),
    "propose expert_id a number": ("propose", "connector", lambda p: {"expert_id": 7}, None),
    "propose unknown expert": (
        "propose",
        "connector",
        lambda p: {"expert_id": NOBODY},
        "unknown_person",
    ),
    "propose the asker": ("propose", "connector", lambda p: {"expert_id": p.asker}, None),
    "propose new expert invalid email": (
        "propose",
        "connector",
        lambda p: {"expert": {"email": "bad", "name": "E"}},
        None,
    ),
    "propose new expert without name": (
        "propose",
        "connector",
        lambda p: {"expert": {"email": "e@x.io"}},
        None,
    ),
    "propose new expert name over 200": (
        "propose",
        "connector",
        lambda p: {"expert": {"email": "e@x.io", "name": long(201)}},
        None,
    ),
    "propose note over 2000": (
        "propose",
        "connector",
        lambda p: {"expert_id": p.expert, "note": long(2001)},
        None,
    ),
    "propose extra field": (
        "propose",
        "connector",
        lambda p: {"expert_id": p.expert, "urgent": True},
        None,
    ),
    "forward without connector": ("forward", "connector", lambda p: {"note": "x"}, None),
    "forward malformed connector": ("forward", "connector", lambda p: {"connector_id": "x"}, None),
    "forward unknown connector": (
        "forward",
        "connector",
        lambda p: {"connector_id": NOBODY},
        "unknown_person",
    ),
    "forward note over 2000": (
        "forward",
        "connector",
        lambda p: {"connector_id": p.expert, "note": long(2001)},
        None,
    ),
    "decline without reason": ("decline", "connector", lambda p: {}, None),
    "decline unknown reason": ("decline", "connector", lambda p: {"reason": "meh"}, None),
    "decline reason wrong case": ("decline", "connector", lambda p: {"reason": "BUSY"}, None),
    "decline note not a string": (
        "decline",
        "connector",
        lambda p: {"reason": "busy", "note": 5},
        None,
    ),
    "decline note over 2000": (
        "decline",
        "connector",
        lambda p: {"reason": "busy", "note": long(2001)},
        None,
    ),
    "feedback unknown rating": ("feedback", "asker", lambda p: {"rating": "great"}, None),
    "feedback without rating": ("feedback", "asker", lambda p: {"note": "x"}, None),
    "feedback note over 2000": (
        "feedback",
        "asker",
        lambda p: {"rating": "yes", "note": long(2001)},
        None,
    ),
    "accept note over 2000": ("accept", "connector", lambda p: {"note": long(2001)}, None),
    "body is a list": ("decline", "connector", lambda p: [{"reason": "busy"}], None),
}


async def test_bad_decision_bodies_are_422_and_change_nothing(world: World, party: Party) -> None:
    before = await world.snapshot(party.request)
    people = await collect(world.api, "/v1/people")
    cases = Cases()
    for name, (action, who, make, code) in ACTION_CASES.items():
        with cases.case(name):
            r = await world.act(party.request, action, getattr(party, who), make(party))
            assert_invalid(r, code)
            assert await world.snapshot(party.request) == before
    cases.check()
    assert await collect(world.api, "/v1/people") == people


async def test_malformed_json_is_422(world: World, party: Party) -> None:
    before = await world.snapshot(party.request)
    people = await collect(world.api, "/v1/people")
    cases = Cases()
    for method, path in [
        ("POST", "/v1/people"),
        ("POST", "/v1/intro-requests"),
        ("POST", "/v1/intro-requests/{rid}/decline"),
        ("POST", "/v1/intro-requests/{rid}/accept"),
        ("PATCH", "/v1/people/{asker}"),
    ]:
        with cases.case(f"{method} {path}"):
            r = await world.api.request(
                method,
                path.format(rid=party.request, asker=party.asker),
                content=b'{"reason": "busy", ',
                headers={"Content-Type": "application/json", **as_(party.connector)},
            )
            assert_problem(r, 422, "validation_error")
    cases.check()
    assert await world.snapshot(party.request) == before
    assert await collect(world.api, "/v1/people") == people


async def test_a_body_that_is_not_utf8_is_400_and_creates_nothing(world: World) -> None:
    people = await collect(world.api, "/v1/people")
    r = await world.api.post(
        "/v1/people",
        content=b'{"email": "\xff@example.com", "name": "X"}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(r, 400, "unreadable_body")
    assert await collect(world.api, "/v1/people") == people


async def test_a_whole_number_written_as_a_fraction_is_taken(world: World) -> None:
    """JSON has one number type: 3.0 is the integer 3, as the spec's `integer` says."""
    me, other = await world.pid(), await world.pid()
    r = await world.api.post(
        f"/v1/people/{me}/connections", json={"person_id": other, "strength": 3.0}
    )
    assert r.status_code == 201, r.text
    assert r.json()["strength"] == 3


async def test_bad_webhook_bodies_are_422_and_register_nothing(world: World) -> None:
    cases = Cases()
    for name, body in {
        "plain http elsewhere than loopback": {"url": "http://example.com/hook"},
        "credentials in the URL": {"url": "https://user:pw@example.com/hook"},
        "brackets that hold no address": {"url": "https://[nope]/hook"},
        "a port past 65535": {"url": "https://example.com:65536/hook"},
        "an unknown event type": {"url": "https://example.com/h", "event_types": ["x.y"]},
    }.items():
        with cases.case(name):
            assert_invalid(await world.api.post("/v1/webhook-endpoints", json=body))
    cases.check()
    assert (await world.api.get("/v1/webhook-endpoints")).json()["items"] == []


async def test_an_api_key_deciding_without_on_behalf_of_is_422(world: World, party: Party) -> None:
    before = await world.snapshot(party.request)
    for action, body in [
        ("propose", {"expert_id": party.expert}),
        ("forward", {"connector_id": party.expert}),
        ("decline", {"reason": "busy"}),
        ("accept", None),
        ("cancel", None),
        ("feedback", {"rating": "yes"}),
    ]:
        r = await world.api.post(f"/v1/intro-requests/{party.request}/{action}", json=body)
        problem = assert_problem(r, 422, "invalid_input")
        assert "X-On-Behalf-Of" in problem["detail"]
    r = await world.api.post(
        f"/v1/intro-requests/{party.request}/cancel", headers={"X-On-Behalf-Of": "me"}
    )
    assert_problem(r, 422, "validation_error")
    assert await world.snapshot(party.request) == before


async def test_text_with_a_nul_character_is_422_on_every_backend(
    world: World, party: Party
) -> None:
    """PostgreSQL cannot store U+0000 in text; the API must refuse it as invalid input
    (the same answer on SQLite), never fail with a 500."""
    people = await collect(world.api, "/v1/people")
    requests = await world.requests()
    cases = Cases()
    for name, body in {
        "name": person(email="nul1@example.com", name="a\u0000b"),
        "headline": person(email="nul2@example.com", headline="h\u0000"),
        "bio": person(email="nul3@example.com", bio="\u0000"),
    }.items():
        with cases.case(f"person {name}"):
            assert_invalid(await world.api.post("/v1/people", json=body))
    for name, body in {
        "topic": ask(party, topic="t\u0000"),
        "message": ask(party, message="m\u0000"),
    }.items():
        with cases.case(f"ask {name}"):
            assert_invalid(await world.api.post("/v1/intro-requests", json=body))
    with cases.case("decline note"):
        r = await world.act(
            party.request, "decline", party.connector, {"reason": "busy", "note": "\u0000"}
        )
        assert_invalid(r)
    with cases.case("search text"):
        r = await world.api.get("/v1/people", params={"q": "a\u0000"})
        assert r.status_code in (200, 422), r.text
    cases.check()
    assert await collect(world.api, "/v1/people") == people
    assert await world.requests() == requests
