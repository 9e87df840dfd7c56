"""Who sees what (the privacy rules and auth in README): the asker's blind spot, member tokens,
credentials that must be refused, workspace isolation and erasure."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from jose import jwt

from tests.clock import FakeClock
from tests.e2e.world import Cases, Party, World, as_, assert_problem, bearer, collect, jwt_segment
from warmintro.infra.tokens import MEMBER_AUDIENCE, SignedTokens, _derive, _kid


async def ok(call: Awaitable[httpx.Response]) -> dict[str, Any]:
    r = await call
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def asker_sees(world: World, rid: str, headers: dict[str, str]) -> str:
    """Everything the asker can read about the request: view, timeline, list."""
    texts = []
    for path in (f"/v1/intro-requests/{rid}", f"/v1/intro-requests/{rid}/events"):
        r = await world.api.get(path, headers=headers)
        assert r.status_code == 200, r.text
        texts.append(r.text)
    listed = await collect(world.api, "/v1/intro-requests", headers=headers)
    assert [i["id"] for i in listed] == [rid]
    texts.append(json.dumps(listed))
    listed = await collect(world.api, "/v1/intro-requests", headers=headers, role="asker")
    assert [i["id"] for i in listed] == [rid]
    texts.append(json.dumps(listed))
    return "\n".join(texts)


async def check_asker_never_sees_the_expert_before_acceptance(
    world: World, asker: str, asker_headers: dict[str, str]
) -> None:
    connector = await world.pid("Connector")
    shy = await world.person("Shy Declinerson", email="shy@hidden.example")
    kind = await world.person("Kind Acceptor", email="kind@hidden.example")
    rid = (await world.ask(asker, connector))["id"]

    proposed = await world.do(rid, "propose", connector, {"expert_id": shy["id"]})
    assert proposed["expert_id"] == shy["id"]  # the connector sees whom they proposed
    view = await ok(world.api.get(f"/v1/intro-requests/{rid}", headers=asker_headers))
    assert view["state"] == "awaiting_expert" and view["expert_id"] is None
    text = await asker_sees(world, rid, asker_headers)
    for secret in (shy["id"], shy["name"], shy["email"]):
        assert secret not in text

    await world.do(rid, "decline", shy["id"], {"reason": "busy", "note": "swamped"})
    await world.do(rid, "propose", connector, {"expert_id": kind["id"]})
    text = await asker_sees(world, rid, asker_headers)
    for secret in (shy["id"], kind["id"], "busy", "swamped", kind["email"]):
        assert secret not in text

    await world.do(rid, "accept", kind["id"], {"note": "glad to"})
    view = await ok(world.api.get(f"/v1/intro-requests/{rid}", headers=asker_headers))
    assert view["state"] == "introduced" and view["expert_id"] == kind["id"]
    listed = await collect(world.api, "/v1/intro-requests", headers=asker_headers)
    assert listed[0]["expert_id"] == kind["id"]
    r = await world.api.get(f"/v1/intro-requests/{rid}/events", headers=asker_headers)
    introduced = r.json()["items"][-1]
    assert introduced["type"] == "intro_request.introduced"
    assert introduced["data"]["expert_id"] == kind["id"]
    # Who declined before stays unknown to the asker, even now.
    text = await asker_sees(world, rid, asker_headers)
    assert shy["id"] not in text and "swamped" not in text


async def test_asker_never_sees_the_expert_before_acceptance(world: World) -> None:
    asker = await world.pid("Asker")
    await check_asker_never_sees_the_expert_before_acceptance(world, asker, as_(asker))


async def test_asker_with_a_member_token_never_sees_the_expert_before_acceptance(
    world: World,
) -> None:
    asker = await world.pid("Asker")
    token = await world.token(asker)
    await check_asker_never_sees_the_expert_before_acceptance(world, asker, bearer(token))


async def test_a_declined_expert_does_not_learn_who_came_next(world: World, party: Party) -> None:
    fallback = await world.pid("Fallback")
    rid = (
        await world.ask(party.asker, party.connector, topic="t2", fallback_connector_ids=[fallback])
    )["id"]
    await world.do(rid, "propose", party.connector, {"expert_id": party.expert})
    as_expert = await world.view(rid, party.expert)
    assert as_expert["viewer_role"] == "expert" and as_expert["expert_id"] == party.expert
    assert as_expert["fallback_connector_ids"] is None  # routing is not the expert's business
    await world.do(rid, "decline", party.expert, {"reason": "busy"})
    successor = await world.pid("Successor")
    await world.do(rid, "propose", party.connector, {"expert_id": successor, "note": "try her"})
    await world.do(rid, "accept", successor, {"note": "sure"})

    view = await world.view(rid, party.expert)
    assert view["state"] == "introduced"
    assert view["expert_id"] is None and view["decline_reason"] is None
    events = await world.events(rid, party.expert)
    assert successor not in json.dumps(events) and "try her" not in json.dumps(events)
    assert [e["type"] for e in events] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
    ]


async def test_member_token_sees_only_requests_its_person_is_party_to(world: World) -> None:
    mine = await world.party()
    theirs = await world.party()
    token = await world.token(mine.asker)

    r = await world.api.get(f"/v1/intro-requests/{mine.request}", headers=bearer(token))
    assert r.status_code == 200 and r.json()["viewer_role"] == "asker"
    listed = await collect(world.api, "/v1/intro-requests", headers=bearer(token))
    assert [i["id"] for i in listed] == [mine.request]

    for path in ("", "/events", "/suggestions"):
        r = await world.api.get(f"/v1/intro-requests/{theirs.request}{path}", headers=bearer(token))
        assert_problem(r, 404, "not_found")
    r = await world.api.post(f"/v1/intro-requests/{theirs.request}/cancel", headers=bearer(token))
    assert_problem(r, 404, "not_found")
    assert (await world.view(theirs.request))["state"] == "awaiting_connector"

    # The would-be expert sees the request only from the proposal on.
    expert_token = await world.token(mine.expert)
    r = await world.api.get(f"/v1/intro-requests/{mine.request}", headers=bearer(expert_token))
    assert_problem(r, 404, "not_found")
    await world.do(mine.request, "propose", mine.connector, {"expert_id": mine.expert})
    r = await world.api.get(f"/v1/intro-requests/{mine.request}", headers=bearer(expert_token))
    assert r.status_code == 200 and r.json()["viewer_role"] == "expert"
    listed = await collect(world.api, "/v1/intro-requests", headers=bearer(expert_token))
    assert [i["id"] for i in listed] == [mine.request]

    # A member acts as its own person, with no X-On-Behalf-Of needed.
    r = await world.api.post(
        f"/v1/intro-requests/{mine.request}/accept", headers=bearer(expert_token)
    )
    assert r.status_code == 200 and r.json()["state"] == "introduced"


async def test_member_token_cannot_manage_people_or_act_for_others(
    world: World, party: Party
) -> None:
    token = await world.token(party.asker)
    member = bearer(token)
    before = await collect(world.api, "/v1/people")

    r = await world.api.post(
        "/v1/people", json={"email": "x@example.com", "name": "X"}, headers=member
    )
    assert_problem(r, 403, "not_permitted")
    for person in (party.asker, party.connector):
        r = await world.api.post(f"/v1/people/{person}/tokens", headers=member)
        assert_problem(r, 403, "not_permitted")
    r = await world.api.patch(f"/v1/people/{party.connector}", json={"name": "Y"}, headers=member)
    assert_problem(r, 403, "not_permitted")
    r = await world.api.delete(f"/v1/people/{party.connector}", headers=member)
    assert_problem(r, 403, "not_permitted")
    r = await world.api.get(
        f"/v1/intro-requests/{party.request}", headers={**member, **as_(party.connector)}
    )
    assert_problem(r, 422)
    r = await world.api.post(
        "/v1/intro-requests",
        json={
            "asker_id": party.connector,
            "connector_id": party.expert,
            "topic": "t",
            "message": "m",
        },
        headers=member,
    )
    assert_problem(r, 403, "not_permitted")
    assert await collect(world.api, "/v1/people") == before

    # What a member may do: edit themself, ask for themself, see only their own email.
    r = await world.api.patch(f"/v1/people/{party.asker}", json={"headline": "Hi"}, headers=member)
    assert r.status_code == 200 and r.json()["headline"] == "Hi"
    r = await world.api.post(
        "/v1/intro-requests",
        json={"connector_id": party.expert, "topic": "mine", "message": "m"},
        headers=member,
    )
    assert r.status_code == 201 and r.json()["asker_id"] == party.asker
    people = await collect(world.api, "/v1/people", headers=member)
    assert {p["id"] for p in people if p["email"]} == {party.asker}


@pytest.fixture
async def member_token(world: World, party: Party) -> str:
    return await world.token(party.asker)


def _rejects(r: httpx.Response) -> None:
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_member_token_works_before_it_is_tampered_with(
    visitor: httpx.AsyncClient, member_token: str
) -> None:
    r = await visitor.get("/v1/intro-requests", headers=bearer(member_token))
    assert r.status_code == 200 and len(r.json()["items"]) == 1


FORGERIES = [
    "bad_signature",
    "swapped_subject",
    "alg_none",
    "other_audience",
    "other_purpose_key",
    "no_expiry",
]


def forge(kind: str, genuine: str, world: World, party: Party) -> str:
    forged: str  # python-jose is untyped: what jwt.encode returns is a str
    header = jwt.get_unverified_header(genuine)
    claims = jwt.get_unverified_claims(genuine)
    key = _derive(world.container.settings.secret_key, MEMBER_AUDIENCE)
    head, payload, signature = genuine.split(".")
    if kind == "bad_signature":
        forged = jwt.encode(claims, "not the secret", algorithm="HS256", headers=header)
        return forged
    if kind == "swapped_subject":
        return f"{head}.{jwt_segment({**claims, 'sub': party.connector})}.{signature}"
    if kind == "alg_none":
        return f"{jwt_segment({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{payload}."
    if kind == "other_audience":
        claims["aud"] = "warmintro:action"
        forged = jwt.encode(claims, key, algorithm="HS256", headers={"kid": _kid(key)})
        return forged
    if kind == "other_purpose_key":
        other = SignedTokens(
            world.container.settings.secret_key, [], "warmintro:action", world.container.clock
        )
        return other.sign({"sub": claims["sub"], "wid": claims["wid"]}, timedelta(hours=1))[0]
    assert kind == "no_expiry"
    claims.pop("exp")
    forged = jwt.encode(claims, key, algorithm="HS256", headers={"kid": _kid(key)})
    return forged


async def test_forged_member_tokens_are_401(
    world: World, visitor: httpx.AsyncClient, party: Party, member_token: str
) -> None:
    cases = Cases()
    for kind in FORGERIES:
        with cases.case(kind):
            token = forge(kind, member_token, world, party)
            _rejects(await visitor.get("/v1/intro-requests", headers=bearer(token)))
            url = f"/v1/intro-requests/{party.request}/cancel"
            _rejects(await visitor.post(url, headers=bearer(token)))
    cases.check()
    assert (await world.view(party.request))["state"] == "awaiting_connector"


async def test_expired_member_token_is_401(
    world: World, visitor: httpx.AsyncClient, party: Party, clock: FakeClock
) -> None:
    token = await world.token(party.asker, ttl_seconds=60)
    r = await visitor.get(f"/v1/intro-requests/{party.request}", headers=bearer(token))
    assert r.status_code == 200
    clock.advance(timedelta(seconds=61))
    _rejects(await visitor.get(f"/v1/intro-requests/{party.request}", headers=bearer(token)))


async def test_missing_or_garbage_credentials_are_401(
    world: World, visitor: httpx.AsyncClient
) -> None:
    unknown = f"Bearer wik_{world.workspace.id.hex}_{'A' * 43}"  # well-formed, never issued
    cases = Cases()
    for authorization in [
        None,
        "",
        "Bearer",
        "Bearer not-a-token",
        "Bearer a.b.c",
        "Basic dXNlcjpwYXNz",
        "Bearer wik_zzz",
        "Bearer wik_not-hex_" + "x" * 43,
        unknown,
    ]:
        headers = {} if authorization is None else {"Authorization": authorization}
        for method, path in [
            ("GET", "/v1/people"),
            ("GET", "/v1/intro-requests"),
            ("POST", "/v1/people"),
        ]:
            with cases.case(f"{authorization!r} {method} {path}"):
                body = {"email": "a@b.co", "name": "A"} if method == "POST" else None
                _rejects(await visitor.request(method, path, headers=headers, json=body))
    cases.check()
    assert await collect(world.api, "/v1/people") == []


async def test_another_workspace_is_invisible(world: World) -> None:
    other_key = await world.other_workspace()
    theirs_headers = bearer(other_key)

    async def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await world.api.post(path, json=body, headers=theirs_headers)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    b_asker = (await post("/v1/people", {"email": "ba@example.com", "name": "BA"}))["id"]
    b_conn = (await post("/v1/people", {"email": "bc@example.com", "name": "BC"}))["id"]
    b_req = (
        await post(
            "/v1/intro-requests",
            {"asker_id": b_asker, "connector_id": b_conn, "topic": "t", "message": "m"},
        )
    )["id"]

    mine = await world.party()
    # Same email in another workspace is another person.
    r = await world.api.post("/v1/people", json={"email": "ba@example.com", "name": "Mine"})
    assert r.status_code == 201

    for method, path, body in [
        ("GET", f"/v1/people/{b_asker}", None),
        ("PATCH", f"/v1/people/{b_asker}", {"name": "Hacked"}),
        ("DELETE", f"/v1/people/{b_asker}", None),
        ("GET", f"/v1/people/{b_asker}/connections", None),
        ("POST", f"/v1/people/{b_asker}/connections", {"person_id": mine.asker, "strength": 3}),
        ("POST", f"/v1/people/{b_asker}/tokens", None),
        ("GET", f"/v1/intro-requests/{b_req}", None),
        ("GET", f"/v1/intro-requests/{b_req}/events", None),
        ("GET", f"/v1/intro-requests/{b_req}/suggestions", None),
    ]:
        r = await world.api.request(method, path, json=body)
        assert_problem(r, 404, "not_found")
    for action, body in [
        ("propose", {"expert_id": mine.expert}),
        ("forward", {"connector_id": mine.expert}),
        ("decline", {"reason": "busy"}),
        ("accept", None),
        ("cancel", None),
        ("feedback", {"rating": "yes"}),
    ]:
        for actor in (b_conn, b_asker):
            r = await world.act(b_req, action, actor, body)
            assert_problem(r, 404, "not_found")

    # Their people named in our bodies are unknown people.
    for body in [
        {"asker_id": mine.asker, "connector_id": b_conn, "topic": "x", "message": "m"},
        {"asker_id": b_asker, "connector_id": mine.connector, "topic": "x", "message": "m"},
        {
            "asker_id": mine.asker,
            "connector_id": mine.connector,
            "topic": "x",
            "message": "m",
            "target_id": b_conn,
        },
        {
            "asker_id": mine.asker,
            "connector_id": mine.connector,
            "topic": "x",
            "message": "m",
            "fallback_connector_ids": [b_conn],
        },
    ]:
        r = await world.api.post("/v1/intro-requests", json=body)
        assert_problem(r, 422, "unknown_person")
    r = await world.api.post(
        f"/v1/people/{mine.asker}/connections", json={"person_id": b_conn, "strength": 2}
    )
    assert_problem(r, 422, "unknown_person")
    r = await world.act(mine.request, "propose", mine.connector, {"expert_id": b_conn})
    assert_problem(r, 422, "unknown_person")
    r = await world.act(mine.request, "forward", mine.connector, {"connector_id": b_conn})
    assert_problem(r, 422, "unknown_person")

    # Nothing crossed: lists are separate and their data is untouched.
    ours = {i["id"] for i in await world.requests()}
    assert ours == {mine.request}
    r = await world.api.get("/v1/people", params={"limit": 100})
    assert b_asker not in r.text and b_conn not in r.text
    r = await world.api.get(f"/v1/intro-requests/{b_req}", headers=theirs_headers)
    assert r.json()["state"] == "awaiting_connector"
    r = await world.api.get(f"/v1/people/{b_asker}", headers=theirs_headers)
    assert r.json()["name"] == "BA"
    r = await world.api.get(f"/v1/intro-requests/{b_req}/events", headers=theirs_headers)
    assert len(r.json()["items"]) == 1
    r = await world.api.get("/v1/intro-requests", headers=theirs_headers)
    assert [i["id"] for i in r.json()["items"]] == [b_req]


async def test_erasure_makes_the_person_404_and_removes_their_email(world: World) -> None:
    email = "forget.me@example.com"
    gone = await world.person("Forget Me", email=email, bio="my life story")
    connector = await world.pid("Connector")
    await world.connect(connector, gone["id"])
    expert = await world.pid("Expert")
    rid = (await world.ask(gone["id"], connector, message="a message only I wrote"))["id"]
    await world.do(rid, "propose", connector, {"expert_id": expert, "note": "connector note"})
    await world.do(rid, "accept", expert, {"note": "expert note"})
    await world.do(rid, "feedback", gone["id"], {"rating": "yes", "note": "my private thanks"})

    token = bearer(await world.token(gone["id"]))
    r = await world.api.delete(f"/v1/people/{gone['id']}")
    assert r.status_code == 204
    # Their member token dies with them.
    assert_problem(await world.api.get("/v1/intro-requests", headers=token), 401)

    for method in ("GET", "PATCH", "DELETE"):
        body = {"name": "Back"} if method == "PATCH" else None
        r = await world.api.request(method, f"/v1/people/{gone['id']}", json=body)
        assert_problem(r, 404, "not_found")
    r = await world.api.post(f"/v1/people/{gone['id']}/tokens")
    assert_problem(r, 404, "not_found")

    reads: list[tuple[str, dict[str, str | int]]] = [
        ("/v1/people", {"limit": 100}),
        ("/v1/people", {"q": "forget"}),
        (f"/v1/people/{connector}/connections", {}),
        ("/v1/intro-requests", {}),
        (f"/v1/intro-requests/{rid}", {}),
        (f"/v1/intro-requests/{rid}/events", {}),
    ]
    texts = [(await world.api.get(path, params=params)).text for path, params in reads]
    blob = "\n".join(texts)
    assert email not in blob and "Forget Me" not in blob and "my life story" not in blob
    assert "a message only I wrote" not in blob and "my private thanks" not in blob
    assert gone["id"] not in texts[0]
    # The timeline keeps its events under the opaque id; others' words stay.
    events = await world.events(rid)
    assert [e["actor_id"] for e in events] == [gone["id"], connector, expert, gone["id"]]
    assert [e["data"].get("note") for e in events[1:3]] == ["connector note", "expert note"]
    view = await world.view(rid, connector)
    assert view["asker_id"] == gone["id"] and view["state"] == "completed"

    # An erased person cannot be asked for or named again.
    r = await world.api.post(
        "/v1/intro-requests",
        json={"asker_id": connector, "connector_id": gone["id"], "topic": "t", "message": "m"},
    )
    assert_problem(r, 422, "unknown_person")


async def test_a_member_token_of_another_workspace_sees_nothing_here(
    world: World, party: Party
) -> None:
    other_key = await world.other_workspace()
    r = await world.api.post(
        "/v1/people", json={"email": "o@example.com", "name": "O"}, headers=bearer(other_key)
    )
    outsider = r.json()["id"]
    r = await world.api.post(f"/v1/people/{outsider}/tokens", headers=bearer(other_key))
    token = bearer(r.json()["token"])
    assert (await world.api.get(f"/v1/people/{outsider}", headers=token)).status_code == 200

    for path in (
        f"/v1/intro-requests/{party.request}",
        f"/v1/intro-requests/{party.request}/events",
        f"/v1/people/{party.asker}",
    ):
        assert_problem(await world.api.get(path, headers=token), 404, "not_found")
    r = await world.api.post(f"/v1/intro-requests/{party.request}/cancel", headers=token)
    assert_problem(r, 404, "not_found")
    assert (await world.api.get("/v1/intro-requests", headers=token)).json()["items"] == []
    people = await collect(world.api, "/v1/people", headers=token)
    assert [p["id"] for p in people] == [outsider]


async def test_members_see_emails_only_of_themselves(world: World, party: Party) -> None:
    token = await world.token(party.connector)
    r = await world.api.get(f"/v1/people/{party.asker}", headers=bearer(token))
    assert r.status_code == 200 and r.json()["email"] is None
    assert r.json()["preferences"] is None
    r = await world.api.get(f"/v1/people/{party.connector}", headers=bearer(token))
    assert r.json()["email"] is not None
    # The API key sees everyone's.
    assert (await world.api.get(f"/v1/people/{party.asker}")).json()["email"]


async def test_members_cannot_find_people_by_email(world: World, party: Party) -> None:
    hidden = await world.person("Hidden", email="secret.person@corp.example")
    member = bearer(await world.token(party.asker))
    r = await world.api.get("/v1/people", params={"q": "secret.person@corp"}, headers=member)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await world.api.get("/v1/people", params={"q": "hidden"}, headers=member)
    assert [p["id"] for p in r.json()["items"]] == [hidden["id"]]
    # The API key may.
    r = await world.api.get("/v1/people", params={"q": "secret.person@corp"})
    assert [p["id"] for p in r.json()["items"]] == [hidden["id"]]
