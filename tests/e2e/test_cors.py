"""CORS_ORIGINS: a browser frontend on a listed origin may call the API with a member
token (preflight and the request itself); any other origin gets no allow-origin and
so cannot read the answer; with no origins listed no CORS header appears at all.
Only `/v1` takes part. (That a listed frontend can read a 429's Retry-After is in
test_security_headers.)"""

from __future__ import annotations

import httpx

from tests.e2e.apps import client

FRONTEND = "https://app.example"
STRANGER = "https://evil.example"
REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", "x-on-behalf-of")


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": ", ".join(REQUEST_HEADERS),
    }


def listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


def cors_headers(r: httpx.Response) -> list[str]:
    return [name for name in r.headers if name.startswith("access-control-")]


async def test_a_preflight_from_a_listed_origin_allows_the_methods_and_headers_used() -> None:
    async with client(cors_origins=[FRONTEND]) as c:
        for method in ("POST", "PATCH", "DELETE", "GET"):
            r = await c.options("/v1/intro-requests", headers=preflight(FRONTEND, method))
            assert r.status_code == 200, (method, r.text)
            assert r.headers["access-control-allow-origin"] == FRONTEND
            assert method.lower() in listed(r.headers["access-control-allow-methods"])
            assert listed(r.headers["access-control-allow-headers"]) >= set(REQUEST_HEADERS)
            # Bearer tokens, never cookies: the browser sends no credentials.
            assert "access-control-allow-credentials" not in r.headers
            assert r.headers["x-content-type-options"] == "nosniff"


async def test_a_preflight_from_another_origin_is_not_allowed() -> None:
    async with client(cors_origins=[FRONTEND]) as c:
        r = await c.options("/v1/intro-requests", headers=preflight(STRANGER))
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers


async def test_a_listed_origin_reads_the_answer_and_its_headers_another_does_not() -> None:
    async with client(cors_origins=[FRONTEND, "http://localhost:5173"]) as c:
        mine = await c.get("/v1/people", headers={"Origin": FRONTEND})
        local = await c.get("/v1/people", headers={"Origin": "http://localhost:5173"})
        theirs = await c.get("/v1/people", headers={"Origin": STRANGER})
    assert mine.status_code == local.status_code == theirs.status_code == 401
    assert mine.headers["access-control-allow-origin"] == FRONTEND
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert listed(mine.headers["access-control-expose-headers"]) >= {
        "retry-after",
        "idempotent-replayed",
        "www-authenticate",
    }
    assert "origin" in listed(mine.headers["vary"])
    assert "access-control-allow-origin" not in theirs.headers


async def test_only_the_api_takes_part() -> None:
    async with client(cors_origins=[FRONTEND]) as c:
        for path in ("/healthz", "/openapi.json", "/a/some-token", "/dev/mailbox"):
            r = await c.get(path, headers={"Origin": FRONTEND})
            assert cors_headers(r) == [], path
        r = await c.options("/healthz", headers=preflight(FRONTEND, "GET"))
        assert r.status_code == 405 and cors_headers(r) == []


async def test_without_origins_there_is_no_cors_header_at_all() -> None:
    async with client() as c:
        simple = await c.get("/v1/people", headers={"Origin": FRONTEND})
        pre = await c.options("/v1/intro-requests", headers=preflight(FRONTEND))
    assert simple.status_code == 401 and cors_headers(simple) == []
    assert pre.status_code == 405 and cors_headers(pre) == []


async def test_any_origin_in_development_with_a_star() -> None:
    async with client(cors_origins=["*"]) as c:
        r = await c.get("/v1/people", headers={"Origin": STRANGER})
    assert r.headers["access-control-allow-origin"] == "*"
