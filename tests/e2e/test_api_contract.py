"""The API's cross-cutting contract: Idempotency-Key, cursor pagination,
filters, operations endpoints, and the committed OpenAPI spec."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.world import World, as_, assert_problem, collect
from tests.settings import SettingsWithoutEnvFile
from warmintro.api.app import create_app

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


# ---- Idempotency-Key ------------------------------------------------------------------


async def test_same_idempotency_key_and_body_replays_the_first_response(world: World) -> None:
    asker, connector = await world.pid(), await world.pid()
    body = {"asker_id": asker, "connector_id": connector, "topic": "t", "message": "m"}
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}

    first = await world.api.post("/v1/intro-requests", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await world.api.post("/v1/intro-requests", json=body, headers=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()

    assert [r["id"] for r in await world.requests()] == [first.json()["id"]]
    assert len(await world.events(first.json()["id"])) == 1
    assert len(await world.mail.rows(first.json()["id"], "connector_ask")) == 1

    # Without the key, the same body is a new attempt (and here a duplicate ask).
    r = await world.api.post("/v1/intro-requests", json=body)
    assert_problem(r, 409, "duplicate_request")


async def test_same_idempotency_key_with_another_body_is_422(world: World) -> None:
    key = {"Idempotency-Key": "person-1"}
    first = await world.api.post(
        "/v1/people", json={"email": "one@example.com", "name": "One"}, headers=key
    )
    assert first.status_code == 201
    r = await world.api.post(
        "/v1/people", json={"email": "two@example.com", "name": "Two"}, headers=key
    )
    assert_problem(r, 422, "idempotency_key_reused")
    people = await collect(world.api, "/v1/people")
    assert [p["id"] for p in people] == [first.json()["id"]]

    replay = await world.api.post(
        "/v1/people", json={"email": "one@example.com", "name": "One"}, headers=key
    )
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"


async def test_idempotency_key_on_a_decision_replays_it(world: World) -> None:
    party = await world.party()
    key = {"Idempotency-Key": "propose-1", **as_(party.connector)}
    url = f"/v1/intro-requests/{party.request}/propose"
    body = {"expert_id": party.expert}
    first = await world.api.post(url, json=body, headers=key)
    assert first.status_code == 200 and first.json()["state"] == "awaiting_expert"
    again = await world.api.post(url, json=body, headers=key)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert len(await world.events(party.request)) == 2
    other = await world.pid()
    r = await world.api.post(url, json={"expert_id": other}, headers=key)
    assert_problem(r, 422, "idempotency_key_reused")
    assert (await world.view(party.request))["expert_id"] == party.expert


# ---- cursor pagination ----------------------------------------------------------------


async def walk(
    api: httpx.AsyncClient,
    path: str,
    limit: int,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = await api.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


async def test_people_pagination_walks_every_person_once_oldest_first(world: World) -> None:
    created = [await world.pid(f"Person {i}") for i in range(7)]
    pages = await walk(world.api, "/v1/people", 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [p["id"] for page in pages for p in page]
    assert sorted(ids) == sorted(created) and len(set(ids)) == 7
    assert ids == sorted(ids, key=lambda i: uuid.UUID(i))
    assert [len(p) for p in await walk(world.api, "/v1/people", 7)] == [7]
    assert [len(p) for p in await walk(world.api, "/v1/people", 100)] == [7]


async def test_intro_request_pagination_walks_every_request_once_newest_first(world: World) -> None:
    asker = await world.pid()
    connectors = [await world.pid(), await world.pid()]
    created = [
        (await world.ask(asker, connectors[i % 2], topic=f"topic {i}"))["id"] for i in range(7)
    ]
    for headers in (None, as_(asker)):  # the workspace's list, and one person's list
        pages = await walk(world.api, "/v1/intro-requests", 3, headers)
        assert [len(p) for p in pages] == [3, 3, 1]
        ids = [r["id"] for page in pages for r in page]
        assert sorted(ids) == sorted(created) and len(set(ids)) == 7
        assert ids == sorted(ids, key=lambda i: uuid.UUID(i), reverse=True)
    pages = await walk(world.api, "/v1/intro-requests", 2, as_(connectors[0]))
    assert [len(p) for p in pages] == [2, 2]
    assert {r["id"] for page in pages for r in page} == set(created[0::2])


async def test_connection_pagination_walks_every_connection_once(world: World) -> None:
    me = await world.pid()
    others = [await world.pid() for _ in range(5)]
    for other in others:
        await world.connect(me, other)
    pages = await walk(world.api, f"/v1/people/{me}/connections", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(c["person_id"] for page in pages for c in page) == sorted(others)


async def test_event_pagination_walks_the_visible_timeline_once_oldest_first(world: World) -> None:
    party = await world.party()
    rid, connector = party.request, party.connector
    for _ in range(3):
        nxt = await world.pid()
        await world.do(rid, "forward", connector, {"connector_id": nxt})
        connector = nxt
    await world.do(rid, "propose", connector, {"expert_id": party.expert})
    await world.do(rid, "decline", party.expert, {"reason": "busy"})

    pages = await walk(world.api, f"/v1/intro-requests/{rid}/events", 2)
    assert [len(p) for p in pages] == [2, 2, 2]
    assert [e["seq"] for page in pages for e in page] == [1, 2, 3, 4, 5, 6]

    # The asker's pages skip what the asker may not see, and still end.
    pages = await walk(world.api, f"/v1/intro-requests/{rid}/events", 2, as_(party.asker))
    seen = [e["seq"] for page in pages for e in page]
    assert seen == [1, 2, 3, 4]
    assert all(len(p) <= 2 for p in pages)


# ---- filters ----------------------------------------------------------------------------


async def test_intro_requests_filter_by_role_and_state(world: World) -> None:
    me = await world.pid("Me")
    a, b, c = await world.pid(), await world.pid(), await world.pid()
    as_asker = (await world.ask(me, a, topic="one"))["id"]
    as_connector = (await world.ask(b, me, topic="two"))["id"]
    await world.do(as_connector, "propose", me, {"expert_id": c})
    as_expert = (await world.ask(a, b, topic="three"))["id"]
    await world.do(as_expert, "propose", b, {"expert_id": me})
    await world.do(as_expert, "accept", me)
    elsewhere = (await world.ask(a, c, topic="four"))["id"]

    async def ids(headers: dict[str, str] | None = None, **params: Any) -> set[str]:
        return {r["id"] for r in await collect(world.api, "/v1/intro-requests", headers, **params)}

    mine = as_(me)
    assert await ids(mine) == {as_asker, as_connector, as_expert}
    assert await ids(mine, role="asker") == {as_asker}
    assert await ids(mine, role="connector") == {as_connector}
    assert await ids(mine, role="expert") == {as_expert}
    assert await ids(mine, state="awaiting_expert") == {as_connector}
    assert await ids(mine, state="introduced", role="expert") == {as_expert}
    assert await ids(mine, state="introduced", role="asker") == set()
    assert await ids(state="awaiting_connector") == {as_asker, elsewhere}
    assert await ids(state="declined") == set()
    assert await ids() == {as_asker, as_connector, as_expert, elsewhere}
    listed = await collect(world.api, "/v1/intro-requests", mine, role="connector")
    assert [r["viewer_role"] for r in listed] == ["connector"]


async def test_people_filter_by_expertise_and_text(world: World) -> None:
    ml = await world.pid("Ada Lovelace", expertise=["Machine Learning", "Math"])
    ml2 = await world.pid("Grace", headline="Compilers", expertise=["machine learning"])
    other = await world.pid(
        "Alan", headline="Codebreaker at 50% speed", email="turing@bletchley.example"
    )

    async def ids(**params: Any) -> list[str]:
        return [p["id"] for p in await collect(world.api, "/v1/people", **params)]

    assert sorted(await ids(expertise="machine  LEARNING")) == sorted([ml, ml2])
    assert await ids(expertise="math") == [ml]
    assert await ids(expertise="machine") == []
    assert await ids(q="lovelace") == [ml]  # name, any case
    assert await ids(q="LOVEL") == [ml]  # the start of a word of the name
    assert await ids(q="COMPILER") == [ml2]  # headline, as a word: plurals too
    assert sorted(await ids(q="learning machine")) == sorted([ml, ml2])  # tags, any order
    assert await ids(q="mach") == []  # never part of a word but the name's start
    assert await ids(q="bletchley.example") == [other]  # part of an address
    assert await ids(q="bletchley") == []  # a plain word is not looked for in addresses
    assert await ids(q="50%") == [other]  # the word 50; LIKE wildcards mean nothing
    assert await ids(q="%") == []
    assert await ids(q="_") == []
    assert await ids(q="grace", expertise="machine learning") == [ml2]


# ---- operations ---------------------------------------------------------------------------


async def test_health_readiness_and_metrics(visitor: httpx.AsyncClient, world: World) -> None:
    r = await visitor.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await visitor.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}

    someone = await world.pid()
    assert (await visitor.get(f"/v1/people/{someone}")).status_code == 401
    r = await visitor.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE warmintro_http_requests_total counter" in text
    assert 'warmintro_http_requests_total{method="GET",route="/healthz",status="200"} 1' in text
    assert 'route="/v1/people/{person_id}",status="401"' in text
    assert someone not in text  # ids never become label values


async def test_link_pages_are_counted_by_their_route_never_by_their_token(
    visitor: httpx.AsyncClient,
) -> None:
    token = "a-token-that-is-a-credential"
    assert (await visitor.get(f"/a/{token}")).status_code == 404
    text = (await visitor.get("/metrics")).text
    assert 'warmintro_http_requests_total{method="GET",route="/a/{token}",status="404"}' in text
    assert token not in text


async def test_unknown_routes_and_methods_are_problems(visitor: httpx.AsyncClient) -> None:
    assert_problem(await visitor.get("/v1/nope"), 404, "not_found")
    assert_problem(await visitor.delete("/healthz"), 405, "method_not_allowed")


async def test_a_405_allows_every_method_of_the_path(visitor: httpx.AsyncClient) -> None:
    """Several routes share a path; `Allow` names the methods of all of them."""
    for method, path, allowed in [
        ("PUT", f"/v1/people/{uuid.uuid4()}", "DELETE, GET, PATCH"),
        ("OPTIONS", "/v1/people", "GET, POST"),
        ("DELETE", "/v1/workspace", "GET, PATCH"),
        ("POST", "/healthz", "GET"),
    ]:
        r = await visitor.request(method, path)
        assert_problem(r, 405, "method_not_allowed")
        assert r.headers["allow"] == allowed, (method, path)


# ---- the committed spec -------------------------------------------------------------------


def served_spec() -> str:
    app = create_app(SettingsWithoutEnvFile(database_url="sqlite+aiosqlite://"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def test_committed_openapi_spec_equals_what_the_app_serves() -> None:
    assert SPEC.exists(), f"{SPEC} is missing; run `warmintro openapi`"
    committed = SPEC.read_text()
    served = served_spec()
    if committed != served:
        old, new = json.loads(committed), json.loads(served)
        changed = sorted(set(old["paths"]) ^ set(new["paths"])) or [
            p for p in new["paths"] if old["paths"].get(p) != new["paths"][p]
        ]
        raise AssertionError(
            f"{SPEC.name} differs from the app's spec (paths: {changed[:10]}); "
            "run `warmintro openapi` and commit the result"
        )


def test_spec_documents_every_error_as_a_problem_and_no_parameter_as_null() -> None:
    spec = json.loads(served_spec())
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            where, responses = f"{method.upper()} {path}", operation["responses"]
            assert "413" in responses, where
            assert ("400" in responses) == ("requestBody" in operation), where
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == problem, (where, status)
            for parameter in operation.get("parameters", []):
                assert "null" not in json.dumps(parameter["schema"]), (where, parameter)
    params = spec["paths"]["/v1/people/{person_id}"]["get"]["parameters"]
    behalf = next(p for p in params if p["name"] == "X-On-Behalf-Of")
    assert behalf["schema"]["format"] == "uuid"


def test_spec_names_the_contract_endpoints() -> None:
    paths = json.loads(served_spec())["paths"]
    for path, methods in {
        "/v1/people": {"get", "post"},
        "/v1/people/{person_id}": {"get", "patch", "delete"},
        "/v1/people/{person_id}/connections": {"get", "post"},
        "/v1/people/{person_id}/tokens": {"post"},
        "/v1/intro-requests": {"get", "post"},
        "/v1/intro-requests/{request_id}": {"get"},
        "/v1/intro-requests/{request_id}/events": {"get"},
        "/v1/intro-requests/{request_id}/suggestions": {"get"},
        **{
            f"/v1/intro-requests/{{request_id}}/{action}": {"post"}
            for action in ("propose", "forward", "decline", "accept", "cancel", "feedback")
        },
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/metrics": {"get"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert "Idempotency-Key" in json.dumps(paths["/v1/intro-requests"]["post"])
