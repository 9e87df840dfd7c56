"""Bad input of every kind: a documented problem+json, and nothing changed (DESIGN.md §4)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from tests.e2e.world import Cases, Party, World, as_, assert_problem, collect

INVALID = {"validation_error", "invalid_input"}
NOBODY = "00000000-0000-4000-8000-000000000000"


def assert_invalid(r: httpx.Response, code: str | None = None) -> dict[str, Any]:
    """422 invalid input; with `code`, exactly that problem code."""
    body = assert_problem(r, 422, code)
    assert code or body["code"] in INVALID, body
    return body


def long(n: int) -> str:
    return "x" * n


# ---- creating intro requests ------------------------------------------------------

Body = Callable[[Party], Any]


def ask(p: Party, **changes: Any) -> dict[str, Any]:
    """A valid new ask (to the party's expert, so it is no duplicate), then the changes."""
    body: dict[str, Any] = {
        "asker_id": p.asker,
        "connector_id": p.expert,
        "topic": "a new topic",
        "message": "who do you know?",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


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


async def test_bad_intro_request_bodies_are_422_and_create_nothing(world: World, party: Party):
    before = await world.requests()
    cases = Cases()
    for name, (make, code) in ASK_CASES.items():
        with cases.case(name):
            assert_invalid(await world.api.post("/v1/intro-requests", json=make(party)), code)
    cases.check()
    assert await world.requests() == before


# ---- people ---------------------------------------------------------------------------


def person(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"email": "new@example.com", "name": "New Person"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


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
    "unknown preference": person(preferences={"vacation": True}),
    "body is a list": [person()],
}


async def test_bad_person_bodies_are_422_and_create_nothing(world: World):
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


async def test_bad_person_patches_are_422_and_change_nothing(world: World):
    who = await world.person(bio="original", expertise=["pricing"])
    cases = Cases()
    for name, body in PATCH_CASES.items():
        with cases.case(name):
            assert_invalid(await world.api.patch(f"/v1/people/{who['id']}", json=body))
            assert (await world.api.get(f"/v1/people/{who['id']}")).json() == who
    cases.check()


async def test_duplicate_email_is_409_and_creates_nothing(world: World):
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
    "missing strength": (lambda o: {"person_id": o}, None),
    "missing person_id": (lambda o: {"strength": 3}, None),
    "malformed person_id": (lambda o: {"person_id": "abc", "strength": 3}, None),
    "unknown person_id": (lambda o: {"person_id": NOBODY, "strength": 3}, "unknown_person"),
    "context over 500": (lambda o: {"person_id": o, "strength": 3, "context": long(501)}, None),
    "unknown extra field": (lambda o: {"person_id": o, "strength": 3, "since": 2020}, None),
}


async def test_bad_connection_bodies_are_422_and_connect_nobody(world: World):
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


# ---- decisions ------------------------------------------------------------------------

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


async def test_bad_decision_bodies_are_422_and_change_nothing(world: World, party: Party):
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


async def test_malformed_json_is_422(world: World, party: Party):
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


async def test_an_api_key_deciding_without_on_behalf_of_is_422(world: World, party: Party):
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
    assert_problem(r, 422, "invalid_input")
    assert await world.snapshot(party.request) == before


# ---- query strings and paths ------------------------------------------------------------

QUERY_CASES = [
    ("/v1/intro-requests", {"state": "bogus"}),
    ("/v1/intro-requests", {"state": "AWAITING_CONNECTOR"}),
    ("/v1/intro-requests", {"role": "boss"}),
    ("/v1/intro-requests", {"role": "asker"}),  # a role needs X-On-Behalf-Of
    ("/v1/intro-requests", {"limit": 0}),
    ("/v1/intro-requests", {"limit": 101}),
    ("/v1/intro-requests", {"limit": "ten"}),
    ("/v1/intro-requests", {"cursor": "!!!"}),
    ("/v1/intro-requests", {"cursor": "abc"}),
    ("/v1/intro-requests", {"cursor": "A" * 65}),
    ("/v1/people", {"limit": 0}),
    ("/v1/people", {"limit": 1000}),
    ("/v1/people", {"cursor": "not-a-cursor"}),
    ("/v1/people", {"expertise": long(65)}),
    ("/v1/people", {"q": long(201)}),
    ("/v1/people/{asker}/connections", {"cursor": "%%%"}),
    ("/v1/intro-requests/{rid}/suggestions", {"limit": 0}),
    ("/v1/intro-requests/{rid}/suggestions", {"limit": 51}),
]


async def test_bad_query_parameters_are_422(world: World, party: Party):
    cases = Cases()
    for path, params in QUERY_CASES:
        with cases.case(f"{path} {params}"):
            url = path.format(asker=party.asker, rid=party.request)
            assert_invalid(await world.api.get(url, params=params))
    cases.check()


MALFORMED_PATHS = [
    ("GET", "/v1/people/not-a-uuid"),
    ("PATCH", "/v1/people/123"),
    ("DELETE", "/v1/people/xyz"),
    ("GET", "/v1/people/xyz/connections"),
    ("POST", "/v1/people/xyz/connections"),
    ("POST", "/v1/people/xyz/tokens"),
    ("GET", "/v1/intro-requests/123"),
    ("GET", "/v1/intro-requests/123/events"),
    ("GET", "/v1/intro-requests/123/suggestions"),
    ("POST", "/v1/intro-requests/123/propose"),
    ("POST", "/v1/intro-requests/123/cancel"),
]


async def test_malformed_ids_in_paths_are_422(world: World, party: Party):
    cases = Cases()
    for method, path in MALFORMED_PATHS:
        with cases.case(f"{method} {path}"):
            r = await world.api.request(method, path, headers=as_(party.asker))
            assert_problem(r, 422, "validation_error")
    cases.check()


UNKNOWN_ID_CASES = [
    ("GET", "/v1/people/{id}", None),
    ("PATCH", "/v1/people/{id}", {"name": "X"}),
    ("DELETE", "/v1/people/{id}", None),
    ("GET", "/v1/people/{id}/connections", None),
    ("POST", "/v1/people/{id}/connections", {"person_id": "{asker}", "strength": 2}),
    ("POST", "/v1/people/{id}/tokens", None),
    ("GET", "/v1/intro-requests/{id}", None),
    ("GET", "/v1/intro-requests/{id}/events", None),
    ("GET", "/v1/intro-requests/{id}/suggestions", None),
    ("POST", "/v1/intro-requests/{id}/propose", {"expert_id": "{asker}"}),
    ("POST", "/v1/intro-requests/{id}/forward", {"connector_id": "{asker}"}),
    ("POST", "/v1/intro-requests/{id}/decline", {"reason": "busy"}),
    ("POST", "/v1/intro-requests/{id}/accept", None),
    ("POST", "/v1/intro-requests/{id}/cancel", None),
    ("POST", "/v1/intro-requests/{id}/feedback", {"rating": "yes"}),
    ("GET", "/v1/nothing-here", None),
]


async def test_unknown_ids_are_404(world: World, party: Party):
    before = await world.snapshot(party.request)
    cases = Cases()
    for method, path, body in UNKNOWN_ID_CASES:
        with cases.case(f"{method} {path}"):
            if body:
                body = {
                    k: v.format(asker=party.asker) if isinstance(v, str) else v
                    for k, v in body.items()
                }
            r = await world.api.request(
                method, path.format(id=uuid.uuid4()), json=body, headers=as_(party.asker)
            )
            assert_problem(r, 404, "not_found")
    cases.check()
    assert await world.snapshot(party.request) == before


# ---- size limits ------------------------------------------------------------------------


async def test_a_body_over_256_kib_is_413_and_creates_nothing(world: World, party: Party):
    before = await world.requests()
    huge = ask(party, message="x" * (256 * 1024 + 1))
    r = await world.api.post("/v1/intro-requests", json=huge)
    assert_problem(r, 413, "payload_too_large")
    r = await world.api.post("/v1/people", json=person(bio="y" * 300_000))
    assert_problem(r, 413, "payload_too_large")
    assert await world.requests() == before
    assert "new@example.com" not in (await world.api.get("/v1/people")).text


async def test_a_streamed_body_over_256_kib_is_413_too(world: World):
    async def chunks():  # no Content-Length: the limit must hold while reading
        yield b'{"email": "big@example.com", "name": "Big", "bio": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}'

    r = await world.api.post(
        "/v1/people", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, "payload_too_large")
    assert "big@example.com" not in (await world.api.get("/v1/people")).text


# ---- business rules ---------------------------------------------------------------------


async def test_wrong_state_transitions_are_409_naming_the_current_state(world: World, party: Party):
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


async def test_a_duplicate_ask_is_409(world: World, party: Party):
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


async def test_the_sixth_open_ask_to_a_connector_is_429_with_retry_after(world: World, clock):
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


async def test_a_snoozed_connector_is_429_until_the_snooze_ends(world: World, clock):
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


async def test_never_contact_people_are_409_recipient_unavailable(world: World, party: Party):
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


async def test_an_expert_with_three_pending_consents_is_429(world: World, clock):
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
):
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


async def test_text_with_a_nul_character_is_422_on_every_backend(world: World, party: Party):
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


async def test_budget_and_duplicate_checks_hold_under_concurrent_asks(world: World):
    connector = await world.pid()
    askers = [await world.pid() for _ in range(8)]
    results = await asyncio.gather(
        *[
            world.api.post(
                "/v1/intro-requests",
                json={"asker_id": a, "connector_id": connector, "topic": "t", "message": "m"},
            )
            for a in askers
        ]
    )
    assert sorted(r.status_code for r in results) == [201] * 5 + [429] * 3
    assert len(await world.requests()) == 5

    asker, other = await world.pid(), await world.pid()
    body = {"asker_id": asker, "connector_id": other, "topic": "same", "message": "m"}
    results = await asyncio.gather(
        *[world.api.post("/v1/intro-requests", json=body) for _ in range(4)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    for r in results:
        if r.status_code == 409:
            assert_problem(r, 409, "duplicate_request")
    assert len(await world.requests()) == 6
