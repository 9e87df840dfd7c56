"""Each limiter answers 429 with `Retry-After` once its limit is used up, on memory
storage and on Redis, and leaves everyone else alone."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import httpx

from tests.e2e.pages.reading import assert_page
from tests.e2e.rate_limits.conftest import ALICE, BOB, MakeApp
from tests.e2e.world import assert_problem, jwt_segment

GUESSED_LINK = "eyJ0eXAiOiJKV1Qi.a-guessed-link-token.c2lnbmF0dXJl"


def unknown_api_key() -> str:
    """An API key in the right format that no workspace holds."""
    return f"wik_{uuid.uuid4().hex}_{secrets.token_urlsafe(32)}"


def forged_member_token() -> str:
    claims = {"sub": str(uuid.uuid4()), "ws": str(uuid.uuid4()), "exp": 4102444800}
    return f"{jwt_segment({'alg': 'HS256', 'typ': 'JWT'})}.{jwt_segment(claims)}.c2lnbmF0dXJl"


def retry_after(r: httpx.Response, window: int) -> int:
    seconds = int(r.headers["Retry-After"])
    assert 1 <= seconds <= window, r.headers
    return seconds


def assert_rate_limited(r: httpx.Response, limit: str, window: int = 60) -> dict[str, Any]:
    body = assert_problem(r, 429, "rate_limited", limit=limit)
    retry_after(r, window)
    return body


async def test_an_api_key_over_its_limit_gets_429_and_another_key_does_not(
    limited: MakeApp,
) -> None:
    app = await limited(rate_limit_per_api_key="3/minute")
    busy, calm = await app.workspace(), await app.workspace()
    client = app.client(key=busy.api_key)
    for _ in range(3):
        assert (await client.get("/v1/people")).status_code == 200

    refused = await client.get("/v1/people")
    body = assert_rate_limited(refused, "api_key")
    assert busy.api_key not in refused.text and "API key" in body["detail"]
    # Every request of the key counts, whatever it asks for.
    assert_rate_limited(await client.post("/v1/people", json={}), "api_key")
    assert (await app.client(key=calm.api_key).get("/v1/people")).status_code == 200


async def test_a_member_token_over_its_limit_gets_429_and_the_api_key_does_not(
    limited: MakeApp,
) -> None:
    app = await limited(rate_limit_per_member="2/minute")
    world = await app.world()
    ann, bob = await world.pid("Ann"), await world.pid("Bob")
    member = app.client(key=await world.token(ann))
    for _ in range(2):
        assert (await member.get("/v1/intro-requests")).status_code == 200

    assert_rate_limited(await member.get("/v1/intro-requests"), "member")
    other = app.client(key=await world.token(bob))
    assert (await other.get("/v1/intro-requests")).status_code == 200
    assert (await world.api.get("/v1/intro-requests")).status_code == 200


async def test_link_pages_from_one_address_over_the_limit_get_a_429_page(
    limited: MakeApp,
) -> None:
    app = await limited(rate_limit_per_ip_links="2/minute")
    alice, bob = app.client(ALICE), app.client(BOB)
    for _ in range(2):
        assert_page(await alice.get(f"/a/{GUESSED_LINK}"), 404)

    refused = await alice.get(f"/a/{GUESSED_LINK}")
    assert_page(refused, 429, "Too many requests", "open the link in the email again")
    retry_after(refused, 60)
    assert_page(await alice.post(f"/a/{GUESSED_LINK}", data={"action": "accept"}), 429)
    assert_page(await bob.get(f"/a/{GUESSED_LINK}"), 404)


async def test_an_address_sending_bad_credentials_is_refused_even_with_a_valid_key(
    limited: MakeApp,
) -> None:
    app = await limited(rate_limit_auth_failures_per_ip="3/minute")
    ws = await app.workspace()
    alice = app.client(ALICE)
    for bad in (unknown_api_key(), unknown_api_key(), forged_member_token()):
        r = await alice.get("/v1/people", headers={"Authorization": f"Bearer {bad}"})
        assert_problem(r, 401, "unauthenticated")

    for key in (unknown_api_key(), ws.api_key):
        r = await alice.get("/v1/people", headers={"Authorization": f"Bearer {key}"})
        assert_rate_limited(r, "auth_failures")
    assert_page(await alice.get(f"/a/{GUESSED_LINK}"), 429, "Too many requests")
    assert (await alice.get("/healthz")).status_code == 200, "no credential, no limit"
    assert (await app.client(BOB, ws.api_key).get("/v1/people")).status_code == 200


async def test_guessed_link_tokens_count_as_refused_credentials(limited: MakeApp) -> None:
    app = await limited(rate_limit_auth_failures_per_ip="2/minute")
    ws = await app.workspace()
    alice = app.client(ALICE)
    for _ in range(2):
        assert_page(await alice.get(f"/a/{GUESSED_LINK}"), 404)

    refused = await alice.get(f"/a/{GUESSED_LINK}")
    assert_page(refused, 429, "Too many requests")
    retry_after(refused, 60)
    r = await alice.get("/v1/people", headers={"Authorization": f"Bearer {ws.api_key}"})
    assert_rate_limited(r, "auth_failures")
    assert_page(await app.client(BOB).get(f"/a/{GUESSED_LINK}"), 404)


async def test_what_a_valid_key_may_not_see_is_no_refused_credential(limited: MakeApp) -> None:
    app = await limited(rate_limit_auth_failures_per_ip="1/minute")
    ws = await app.workspace()
    client = app.client(key=ws.api_key)
    for _ in range(3):
        assert_problem(await client.get(f"/v1/people/{uuid.uuid4()}"), 404)
    assert (await client.get("/v1/people")).status_code == 200


async def test_the_window_frees_after_retry_after(limited: MakeApp) -> None:
    app = await limited(rate_limit_per_api_key="2/second")
    client = app.client(key=(await app.workspace()).api_key)
    for _ in range(2):
        assert (await client.get("/v1/people")).status_code == 200
    refused = await client.get("/v1/people")
    assert_rate_limited(refused, "api_key", window=1)

    await asyncio.sleep(retry_after(refused, 1))
    assert (await client.get("/v1/people")).status_code == 200
