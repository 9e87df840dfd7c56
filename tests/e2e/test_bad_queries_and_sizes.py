"""Bad query strings, malformed and unknown ids in paths, and bodies over the size
limit: 422, 404 and 413 problems, and nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from tests.e2e.bodies import ask, assert_invalid, long, person
from tests.e2e.world import Cases, Party, World, as_, assert_problem

QUERY_CASES: list[tuple[str, dict[str, str | int]]] = [
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


async def test_bad_query_parameters_are_422(world: World, party: Party) -> None:
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


async def test_malformed_ids_in_paths_are_422(world: World, party: Party) -> None:
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


async def test_unknown_ids_are_404(world: World, party: Party) -> None:
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


async def test_a_body_over_256_kib_is_413_and_creates_nothing(world: World, party: Party) -> None:
    before = await world.requests()
    huge = ask(party, message="x" * (256 * 1024 + 1))
    r = await world.api.post("/v1/intro-requests", json=huge)
    assert_problem(r, 413, "payload_too_large")
    r = await world.api.post("/v1/people", json=person(bio="y" * 300_000))
    assert_problem(r, 413, "payload_too_large")
    assert await world.requests() == before
    assert "new@example.com" not in (await world.api.get("/v1/people")).text


async def test_a_body_declared_over_the_limit_is_413_where_no_body_is_read(
    world: World, party: Party
) -> None:
    """`cancel` reads no body: a request that declares a huge one is still refused,
    before the decision is taken."""
    before = await world.snapshot(party.request)
    r = await world.api.post(
        f"/v1/intro-requests/{party.request}/cancel",
        content=b"",
        headers={**as_(party.asker), "Content-Length": str(256 * 1024 + 1)},
    )
    assert r.request.headers["content-length"] == str(256 * 1024 + 1)
    assert_problem(r, 413, "payload_too_large")
    assert await world.snapshot(party.request) == before


async def test_a_streamed_body_over_256_kib_is_413_too(world: World) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit must hold
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
