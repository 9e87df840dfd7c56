"""Security headers on every answer, whichever part of the service gives it: the JSON
API (with secrets in it or not), its problems (404, 422, 429, an unhandled 500), the
email-link pages, the docs. `nosniff`, DENY framing, no referrer and `no-store` go
everywhere (the docs' static files alone are revalidated instead); HSTS only in
production."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.apps import calling
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World, assert_problem, bearer
from tests.settings import PRODUCTION, SettingsWithoutEnvFile
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.api.security_headers import HSTS
from warmintro.infra.settings import Settings

FRONTEND = "https://app.example"
EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """One request a minute per member token and one link page a minute per address,
    so that the second of each is a 429; one browser frontend allowed."""
    return SettingsWithoutEnvFile(
        database_url=database_url,
        rate_limit_per_member="1/minute",
        rate_limit_per_ip_links="1/minute",
        cors_origins=[FRONTEND],
    )


def assert_secured(r: httpx.Response, cache: str = "no-store") -> None:
    where = f"{r.request.method} {r.request.url.path} → {r.status_code}"
    for name, value in EVERYWHERE.items():
        assert r.headers.get(name) == value, (where, name, r.headers)
    assert r.headers.get("cache-control") == cache, (where, r.headers)
    assert "strict-transport-security" not in r.headers, (where, "HSTS outside production")


async def test_json_answers_with_and_without_secrets_carry_them(world: World) -> None:
    created = await world.api.post("/v1/people", json={"email": "h@example.com", "name": "H"})
    assert created.status_code == 201, created.text
    person = created.json()["id"]
    minted = await world.api.post(f"/v1/people/{person}/tokens")
    key = await world.api.post("/v1/api-keys", json={"label": "second"})
    read = await world.api.get(f"/v1/people/{person}")
    deleted = await world.api.delete(f"/v1/api-keys/{key.json()['id']}")
    assert [r.status_code for r in (minted, key, read, deleted)] == [201, 201, 200, 204]
    assert "token" in minted.json() and "key" in key.json()
    for r in (created, minted, key, read, deleted):
        assert_secured(r)


async def test_problem_answers_carry_them(world: World, visitor: httpx.AsyncClient) -> None:
    unknown = await world.api.get(f"/v1/people/{uuid.uuid4()}")
    invalid = await world.api.post("/v1/people", json={"name": "no email"})
    nowhere = await visitor.get("/no/such/address")
    wrong_method = await visitor.delete("/healthz")
    assert_problem(unknown, 404, "not_found")
    assert_problem(invalid, 422, "validation_error")
    assert_problem(nowhere, 404, "not_found")
    assert_problem(wrong_method, 405, "method_not_allowed")
    for r in (unknown, invalid, nowhere, wrong_method):
        assert_secured(r)


async def test_a_rate_limited_member_gets_them_and_a_frontend_can_read_retry_after(
    world: World, visitor: httpx.AsyncClient
) -> None:
    token = await world.token(await world.pid())
    from_frontend = {**bearer(token), "Origin": FRONTEND}
    first = await visitor.get("/v1/intro-requests", headers=from_frontend)
    refused = await visitor.get("/v1/intro-requests", headers=from_frontend)
    assert first.status_code == 200, first.text
    assert_problem(refused, 429, "rate_limited", limit="member")
    for r in (first, refused):
        assert_secured(r)
        assert r.headers["access-control-allow-origin"] == FRONTEND
    assert int(refused.headers["retry-after"]) >= 1
    exposed = refused.headers["access-control-expose-headers"].lower().split(", ")
    assert "retry-after" in exposed


async def test_link_pages_carry_them_with_their_content_policy(
    visitor: httpx.AsyncClient,
) -> None:
    unknown = await visitor.get("/a/not-a-token-we-issued")
    refused = await visitor.get("/a/not-a-token-we-issued")
    assert_page(unknown, 404)
    assert_page(refused, 429)
    for r in (unknown, refused):
        assert_secured(r)
        assert "access-control-allow-origin" not in r.headers, "CORS is for the API only"


async def test_the_docs_carry_them_and_their_assets_are_revalidated(
    visitor: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        r = await visitor.get(path)
        assert r.status_code == 200, path
        assert_secured(r)
    asset = await visitor.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert_secured(asset, cache="no-cache")
    again = await visitor.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": asset.headers["etag"]}
    )
    assert again.status_code == 304
    assert_secured(again, cache="no-cache")


async def test_an_unhandled_error_carries_them(container: Container) -> None:
    app = create_app(container=container, migrate_on_start=False)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    async with calling(app) as c:
        r = await c.get("/broken")
    assert_problem(r, 500, "internal_error")
    assert_secured(r)


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app in production on the test database, calling with a workspace's key."""
    container = bootstrap(SettingsWithoutEnvFile(database_url=database_url, **PRODUCTION))
    try:
        workspace = await new_workspace(container, "production")
        async with calling(create_app(container=container, migrate_on_start=False)) as c:
            c.headers.update(bearer(workspace.api_key))
            yield c
    finally:
        await container.close()


async def test_production_adds_hsts_to_every_answer(production: httpx.AsyncClient) -> None:
    created = await production.post("/v1/people", json={"email": "s@example.com", "name": "S"})
    unknown = await production.get(f"/v1/people/{uuid.uuid4()}")
    page = await production.get("/a/not-a-token-we-issued")
    health = await production.get("/healthz")
    closed_docs = await production.get("/docs")
    assert [r.status_code for r in (created, unknown, page, health, closed_docs)] == [
        201,
        404,
        404,
        200,
        404,
    ]
    for r in (created, unknown, page, health, closed_docs):
        assert r.headers.get("strict-transport-security") == HSTS, r.request.url.path
        assert r.headers.get("x-content-type-options") == "nosniff"
        assert r.headers.get("cache-control") == "no-store"
