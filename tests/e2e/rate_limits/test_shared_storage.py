"""Several processes share their limits through Redis, Redis holds no credential
or address, and a Redis that is down takes nothing down with it."""

from __future__ import annotations

import logging
import socket

import coredis
import httpx
import pytest

from tests.clock import FakeClock
from tests.e2e.pages.reading import assert_page
from tests.e2e.rate_limits.conftest import ALICE, NO_LIMITS, REDIS, MakeApp, redis_storage
from tests.e2e.rate_limits.test_limiters import (
    GUESSED_LINK,
    assert_rate_limited,
    unknown_api_key,
)
from tests.e2e.world import assert_problem
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap
from warmintro.domain.access import API_KEY_PREFIX
from warmintro.infra.settings import Settings


@pytest.fixture
async def storage() -> dict[str, str]:
    """Redis only: what these tests show is what memory storage cannot do."""
    return await redis_storage()


async def test_two_apps_on_one_redis_share_the_limit_of_a_key(limited: MakeApp) -> None:
    one = await limited(rate_limit_per_api_key="3/minute")
    other = await limited(rate_limit_per_api_key="3/minute")
    key = (await one.workspace()).api_key
    first, second = one.client(key=key), other.client(key=key)
    assert (await first.get("/v1/people")).status_code == 200
    assert (await second.get("/v1/people")).status_code == 200
    assert (await first.get("/v1/people")).status_code == 200

    assert_rate_limited(await second.get("/v1/people"), "api_key")
    assert_rate_limited(await first.get("/v1/people"), "api_key")


async def test_two_apps_on_one_redis_share_the_count_of_refused_credentials(
    limited: MakeApp,
) -> None:
    one = await limited(rate_limit_auth_failures_per_ip="2/minute")
    other = await limited(rate_limit_auth_failures_per_ip="2/minute")
    assert_page(await one.client(ALICE).get(f"/a/{GUESSED_LINK}"), 404)
    bad = {"Authorization": f"Bearer {unknown_api_key()}"}
    assert_problem(await other.client(ALICE).get("/v1/people", headers=bad), 401)

    assert_page(await one.client(ALICE).get(f"/a/{GUESSED_LINK}"), 429)
    assert_rate_limited(await other.client(ALICE).get("/v1/people", headers=bad), "auth_failures")


async def test_redis_holds_neither_credentials_nor_addresses(
    limited: MakeApp, storage: dict[str, str]
) -> None:
    app = await limited(
        rate_limit_per_api_key="5/minute",
        rate_limit_per_ip_links="5/minute",
        rate_limit_auth_failures_per_ip="5/minute",
    )
    ws = await app.workspace()
    # The key is wik_<workspace hex>_<secret>, and the secret may hold "_" itself.
    secret = ws.api_key.removeprefix(API_KEY_PREFIX).split("_", 1)[1]
    assert len(secret) >= 40
    assert (await app.client(key=ws.api_key).get("/v1/people")).status_code == 200
    assert_page(await app.client(ALICE).get(f"/a/{GUESSED_LINK}"), 404)

    redis = coredis.Redis.from_url(REDIS, decode_responses=True)
    keys = [k async for k in redis.scan_iter(match=f"{storage['rate_limit_key_prefix']}*")]
    assert len(keys) >= 3, keys
    for written in keys:
        assert secret not in written and ws.id.hex not in written, written
        assert ALICE[0] not in written and "guessed" not in written, written


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_with_redis_down_requests_pass_and_one_warning_says_so(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    down = {
        **NO_LIMITS,
        "rate_limit_storage": f"redis://127.0.0.1:{port}/0",
        "rate_limit_per_api_key": "1/minute",
        "rate_limit_auth_failures_per_ip": "1/minute",
    }
    container = bootstrap(settings.model_copy(update=down), clock)
    app = create_app(container=container, migrate_on_start=False)
    ws = await new_workspace(container)
    caplog.set_level(logging.INFO, logger="warmintro")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=ALICE)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for key in (ws.api_key, unknown_api_key()) * 3:
            r = await client.get("/v1/people", headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == (200 if key == ws.api_key else 401), r.text
    await container.close()

    warnings = [r for r in caplog.records if r.name == "warmintro.rate_limits"]
    assert len(warnings) == 1, warnings
    assert warnings[0].levelno == logging.WARNING
    assert "rate limits are off" in warnings[0].getMessage()
    assert f"(redis://127.0.0.1:{port})" in warnings[0].getMessage()
