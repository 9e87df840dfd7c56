"""Fixtures for the webhooks suite: webhooks out, SendGrid events in, erasure.

The worker drains every workspace at once, so this suite has a database of its
own per backend, and each test starts with nothing queued and no timers: what a
test's worker sends is what the test caused.

The FakeClock starts at the real time (to the second): Standard Webhooks
verification checks the webhook-timestamp against the wall clock, so a delivery
sent before the clock is moved verifies as is.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.clock import FakeClock
from tests.databases import database_of_its_own
from tests.e2e.webhooks.drivers import Hooks, SendGrid
from tests.e2e.webhooks.receiver import Receiver
from tests.workspaces import Workspace
from warmintro.api.container import Container
from warmintro.infra.settings import Settings

database_url, container = database_of_its_own("webhooks")


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
def settings(settings: Settings, sendgrid_key: ec.EllipticCurvePrivateKey) -> Settings:
    """The app's settings, with SendGrid's verification key; webhooks may reach the
    loopback receivers (ALLOW_PRIVATE_WEBHOOKS)."""
    return settings.model_copy(
        update={
            "sendgrid_webhook_public_key": public_key_b64(sendgrid_key),
            "allow_private_webhooks": True,
        }
    )


@pytest.fixture
def receivers(clock: FakeClock) -> Iterator[Callable[..., Receiver]]:
    """Starts loopback receivers on demand (a free port and a random path, unless
    given `port` and `path`); all stop after the test."""
    started: list[Receiver] = []

    def start(port: int = 0, path: str | None = None) -> Receiver:
        started.append(Receiver(clock, port, path).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receivers: Callable[..., Receiver]) -> Receiver:
    return receivers()


@pytest.fixture
def hooks(api: httpx.AsyncClient, container: Container) -> Hooks:
    return Hooks(api, container)


@pytest.fixture
def sendgrid(
    visitor: httpx.AsyncClient,
    clock: FakeClock,
    sendgrid_key: ec.EllipticCurvePrivateKey,
    workspace: Workspace,
) -> SendGrid:
    """Posts signed Event Webhook batches as SendGrid does (no API key)."""
    return SendGrid(visitor, clock, sendgrid_key, workspace.id)
