"""Where webhooks may go: https to public addresses only (checked again at every
connection), in development as in production; https or http to loopback only with
ALLOW_PRIVATE_WEBHOOKS (as these tests' receivers need); and only the workspace's
own API key sees its endpoints."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.clock import FakeClock
from tests.e2e.mail import drain
from tests.e2e.webhooks.drivers import CREATED, Hooks, ask_again
from tests.e2e.webhooks.receiver import Receiver
from tests.e2e.world import Cases, World, assert_problem, bearer
from tests.settings import SettingsWithoutEnvFile
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap


async def test_with_allow_private_webhooks_urls_are_https_or_http_to_loopback(
    api: httpx.AsyncClient,
) -> None:
    cases = Cases()
    for url in (
        "http://example.com/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20:8080/hook",
        "ftp://127.0.0.1/hook",
        "https://user:secret@example.com/hook",
        "not a url at all",
    ):
        with cases.case(url):
            r = await api.post("/v1/webhook-endpoints", json={"url": url})
            assert_problem(r, 422)
    for url in ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://example.com/h"):
        with cases.case(url):
            r = await api.post("/v1/webhook-endpoints", json={"url": url})
            assert r.status_code == 201, r.text
    cases.check()


@pytest.fixture(params=["production", "development"])
async def production(
    database_url: str, clock: FakeClock, request: pytest.FixtureRequest
) -> AsyncIterator[Container]:
    """A container on the same database without ALLOW_PRIVATE_WEBHOOKS, in production
    and in development alike (its own API key via a workspace)."""
    settings = SettingsWithoutEnvFile(
        database_url=database_url,
        environment=request.param,
        secret_key=secrets.token_urlsafe(30),
        public_base_url="https://intros.example.org",
    )
    assert len(settings.secret_key) == 40 and not settings.allow_private_webhooks
    container = bootstrap(settings, clock)
    yield container
    await container.close()


async def test_without_allow_private_webhook_urls_must_be_https_to_public_addresses(
    production: Container, clock: FakeClock
) -> None:
    key = (await new_workspace(production, "prod")).api_key
    app = create_app(container=production, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=bearer(key)
    ) as client:
        cases = Cases()
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://example.com/hook",
            "https://localhost/hook",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://127.1/hook",
            "https://0.0.0.0/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://10.1.2.3/hook",
            "https://100.64.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::127.0.0.1]/hook",
            "https://[64:ff9b::7f00:1]/hook",
            "https://[64:ff9b::a9fe:a9fe]/hook",
            "https://[2002:7f00:1::]/hook",
            "https://[fec0::1]/hook",
            "https://[fd00:ec2::254]/hook",
            "https://224.0.0.1/hook",
            "https://255.255.255.255/hook",
        ):
            with cases.case(url):
                r = await client.post("/v1/webhook-endpoints", json={"url": url})
                assert_problem(r, 422)
        with cases.case("a public address"):
            r = await client.post("/v1/webhook-endpoints", json={"url": "https://1.1.1.1/hook"})
            assert r.status_code == 201, r.text
        cases.check()


async def test_without_allow_private_the_relay_refuses_a_private_address_at_delivery_time(
    world: World, hooks: Hooks, receiver: Receiver, production: Container
) -> None:
    """The address is checked again before each delivery (DNS can change after the
    endpoint was accepted): here the same rows, seen by a worker without ALLOW_PRIVATE_WEBHOOKS."""
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await drain(production.worker)

    assert receiver.received == []
    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] != "delivered"
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] and "public" in attempt["error"]


async def test_only_the_workspace_api_key_sees_its_endpoints(
    world: World, hooks: Hooks, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()
    (delivery,) = await hooks.deliveries(endpoint["id"])
    base = f"/v1/webhook-endpoints/{endpoint['id']}"

    member = bearer(await world.token(await world.pid()))
    cases = Cases()
    for method, path, body in (
        ("POST", "/v1/webhook-endpoints", {"url": receiver.url}),
        ("GET", "/v1/webhook-endpoints", None),
        ("GET", base, None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"{base}/rotate-secret", None),
        ("DELETE", base, None),
    ):
        with cases.case(f"member {method} {path}"):
            r = await api.request(method, path, json=body, headers=member)
            assert_problem(r, 403)

    other = bearer(await world.other_workspace())
    for method, path in (
        ("GET", base),
        ("GET", f"{base}/deliveries"),
        ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/deliveries/{delivery['id']}/retry"),
        ("DELETE", base),
    ):
        with cases.case(f"other workspace {method} {path}"):
            r = await api.request(method, path, headers=other)
            assert_problem(r, 404)
    with cases.case("other workspace list"):
        r = await api.get("/v1/webhook-endpoints", headers=other)
        assert r.status_code == 200 and r.json()["items"] == [], r.text
    cases.check()

    still = await hooks.get(endpoint["id"])
    assert still["enabled"] is True
    await hooks.run()
    assert len(receiver.received) == 1, "nobody else retried it"
