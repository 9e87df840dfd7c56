"""Fixtures for the integrations suite: webhooks out, SendGrid events in, erasure.

The workers drain every workspace at once, so this suite has a database of its
own per backend, and each test starts with nothing queued and no timers: what a
test's worker sends is what the test caused.

The FakeClock starts at the real time (to the second): Standard Webhooks
verification checks the webhook-timestamp against the wall clock, so a delivery
sent before the clock is moved verifies as is.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import Workspace, database_per_backend
from tests.e2e.world import World
from tests.integrations.receiver import Receiver
from tests.integrations.support import Hooks, SendGrid
from tests.support import FakeClock, empty_queues
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra.settings import Settings

database_url = database_per_backend("integrations")


@pytest.fixture(scope="session")
def sendgrid_key() -> ec.EllipticCurvePrivateKey:
    """The key SendGrid would sign its Event Webhook with (P-256)."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The verification key as SendGrid shows it: base64 DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def container(
    database_url: str, clock: FakeClock, sendgrid_key: ec.EllipticCurvePrivateKey
) -> AsyncIterator[Container]:
    settings = Settings(
        database_url=database_url,
        sendgrid_webhook_public_key=public_key_b64(sendgrid_key),
        _env_file=None,
    )
    container = bootstrap(settings, clock)
    await empty_queues(container.engine)
    yield container
    await container.close()


@pytest.fixture
def receivers(clock: FakeClock) -> Iterator[Callable[[], Receiver]]:
    """Starts loopback receivers on demand; all stop after the test."""
    started: list[Receiver] = []

    def start() -> Receiver:
        started.append(Receiver(clock).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receivers: Callable[[], Receiver]) -> Receiver:
    return receivers()


@pytest.fixture
async def world(api: httpx.AsyncClient, workspace: Workspace, container: Container) -> World:
    return World(api, workspace, container)


@pytest.fixture
def hooks(api: httpx.AsyncClient, container: Container) -> Hooks:
    return Hooks(api, container)


@pytest.fixture
async def anon(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same app state with no credentials at all."""
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def sendgrid(
    anon: httpx.AsyncClient,
    clock: FakeClock,
    sendgrid_key: ec.EllipticCurvePrivateKey,
    workspace: Workspace,
) -> SendGrid:
    """Posts signed Event Webhook batches as SendGrid does (no API key)."""
    return SendGrid(anon, clock, sendgrid_key, workspace.id)
