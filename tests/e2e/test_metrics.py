"""`/metrics` stays bounded whatever clients send: labels are route templates and a
fixed set of methods, so random methods and paths add no series. Each app counts in
a registry of its own."""

from __future__ import annotations

import random
import string

import httpx
import pytest

from tests.scrape import series, value
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.api.metrics import METHODS
from warmintro.infra.settings import Settings

rng = random.Random(9)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Thousands of requests from one address: the link-page and refused-credential
    limits (tests/e2e/rate_limits) would answer 429s this suite is not about."""
    return settings.model_copy(
        update={"rate_limit_per_ip_links": "", "rate_limit_auth_failures_per_ip": ""}
    )


def junk(n: int, alphabet: str = string.ascii_letters) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def random_path() -> str:
    """A path no route has, one under a route template, or an email link's."""
    word = junk(16, string.ascii_lowercase + string.digits)
    return rng.choice([f"/{word}/{junk(8)}", f"/v1/people/{word}", f"/a/{word}"])


def random_method() -> str:
    return rng.choice([*METHODS, junk(2048)])


async def test_random_methods_and_paths_add_no_series(visitor: httpx.AsyncClient) -> None:
    # One request of each kind that can happen: every method (and an invented one)
    # on every kind of path.
    for method in [*sorted(METHODS), junk(2048)]:
        for path in ("/nowhere/x", "/v1/people/someone", "/a/some-token"):
            await visitor.request(method, path)
    await visitor.get("/metrics")
    before = (await visitor.get("/metrics")).text

    sent: list[str] = []
    for _ in range(3000):
        method, path = random_method(), random_path()
        sent += [method, path]
        await visitor.request(method, path)
    after = (await visitor.get("/metrics")).text

    assert series(after) == series(before)
    assert len(after) < 2 * len(before) < 200_000, (len(before), len(after))
    assert not [s for s in sent if len(s) > 7 and s in after], "no raw method or path"
    invented = {"method": "other", "route": "unmatched", "status": "404"}
    assert value(after, "warmintro_http_requests_total", **invented) > 100


async def test_latency_is_a_histogram_by_route_template_method_and_status_class(
    visitor: httpx.AsyncClient,
) -> None:
    await visitor.get("/healthz")
    await visitor.get("/a/a-token-that-is-a-credential")
    text = (await visitor.get("/metrics")).text
    labels = {"method": "GET", "route": "/healthz", "status_class": "2xx"}
    assert value(text, "warmintro_http_request_seconds_count", **labels) == 1
    assert value(text, "warmintro_http_request_seconds_bucket", **labels, le="+Inf") == 1
    assert value(text, "warmintro_http_request_seconds_sum", **labels) > 0
    link = {"method": "GET", "route": "/a/{token}", "status_class": "4xx"}
    assert value(text, "warmintro_http_request_seconds_count", **link) == 1
    assert "a-token-that-is-a-credential" not in text


async def test_each_app_counts_in_its_own_registry(
    visitor: httpx.AsyncClient, settings: Settings
) -> None:
    other: Container = bootstrap(settings)
    try:
        app = create_app(container=other, migrate_on_start=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as second:
            for _ in range(3):
                await second.get("/healthz")
            await visitor.get("/healthz")
            mine = (await visitor.get("/metrics")).text
            theirs = (await second.get("/metrics")).text
    finally:
        await other.close()
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(mine, "warmintro_http_requests_total", **healthz) == 1
    assert value(theirs, "warmintro_http_requests_total", **healthz) == 3
