"""Schemathesis, with all its checks, against the app on each database: requests
generated from the committed spec (its examples, its boundaries and random ones,
valid and invalid), each answer checked against the spec.

The cases run in a workspace of their own, with the API key as schemathesis's
auth (so the cases that leave credentials out on purpose go without). Ids in
paths, in queries, in bodies and in X-On-Behalf-Of are swapped, by a rule fixed by the
generated value, for the ids of people and requests made beforehand, so that
cases reach the handlers and not only their 404s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi
from starlette.types import Receive, Scope, Send

from tests.e2e.world import World
from tests.settings import SettingsWithoutEnvFile
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@dataclass
class Seed:
    """What the cases act on: people, some requests in several states, and the key."""

    api_key: str
    people: list[str]
    requests: list[str]


KEY = "the-running-test's-api-key"
"""What cases carry as their credential: the key is made per test, after the cases
(some made at collection) are fixed."""


class AppUnderTest:
    """The ASGI app the schema is bound to: it passes each request to the app of the
    test that runs (one per test, on that test's database), so that the requests
    schemathesis sends on its own (the probes of its checks) reach it too. It puts
    the test's API key where a request carries `KEY`."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None
        self.seed: Seed | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # each test's app has a lifespan of its own
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None and self.seed is not None, "no test is running"
        placeholder, key = f"Bearer {KEY}".encode(), f"Bearer {self.seed.api_key}".encode()
        headers = [(k, key if v == placeholder else v) for k, v in scope["headers"]]
        await self.app({**scope, "headers": headers}, receive, send)


running = AppUnderTest()
schema = schemathesis.openapi.from_dict(json.loads(SPEC.read_text()))
schema.app = running


@schema.auth()
class WorkspaceKey:
    def get(self, case: Case[Any], ctx: schemathesis.AuthContext) -> str:
        return KEY

    def set(self, case: Case[Any], data: str, ctx: schemathesis.AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


SEMANTIC_CODES = {
    "unknown_person": "an id of the right form may name no one in the workspace",
    "idempotency_key_reused": "a key may have been used before, with another body",
}
SEMANTIC_FIELDS = {
    # What the credential decides: an API key acting for a party names them (and an
    # ask's asker), a member token is that person already.
    "X-On-Behalf-Of": "an API key deciding for a party must name them",
    "asker_id": "an API key must name the asker; a member token asks for itself",
    "role": "a role filter needs a person: X-On-Behalf-Of, or a member token",
    # Rules between fields.
    "timing": "reminders fall before deadlines, asks outlive deadlines",
    **dict.fromkeys(
        ("connector_id", "expert_id", "person_id", "target_id"),
        "the parties of an ask differ, no one is connected to themselves, and a "
        "decision names its expert or connector by exactly one of two fields",
    ),
    # What the address is: the spec's description says these are refused.
    **dict.fromkeys(
        ("email", "expert.email", "connector.email"),
        "an address must be able to receive mail: special-use domains (.test, "
        ".invalid…) have the form of one and no mailbox",
    ),
}


@schema.hook
def filter_failure(
    context: schemathesis.HookContext, failure: Failure, case: Case[Any], response: Response
) -> bool:
    """Keep every failure but one kind: a 422 for a request the spec allows, when
    the refusal rests on something no schema can say (the workspace's data, the
    credential, a rule between fields). A refusal by the API's own schema
    validation (`validation_error`) or by any other rule is kept."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    problem = response.json()
    semantic = problem["code"] in SEMANTIC_CODES or problem.get("field") in SEMANTIC_FIELDS
    return problem["code"] == "validation_error" or not semantic


@pytest.fixture(scope="module")
async def seed(database_url: str) -> AsyncIterator[Seed]:
    """People and asks in a workspace of their own, made once per database: each
    operation's cases then act on them (and on what earlier operations changed)."""
    container = bootstrap(SettingsWithoutEnvFile(database_url=database_url))
    workspace = await new_workspace(container, "schemathesis")
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
        api.headers["Authorization"] = f"Bearer {workspace.api_key}"
        world = World(api, workspace, container)
        waiting, proposed, introduced = [await world.party() for _ in range(3)]
        await world.connect(waiting.connector, waiting.expert)
        for party in (proposed, introduced):
            await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
        await world.do(introduced.request, "accept", introduced.expert)
    yield Seed(
        workspace.api_key,
        people=[
            p for x in (waiting, proposed, introduced) for p in (x.asker, x.connector, x.expert)
        ],
        requests=[x.request for x in (waiting, proposed, introduced)],
    )
    await container.close()


@pytest.fixture(scope="module")
def app(database_url: str, seed: Seed) -> Iterator[FastAPI]:
    running.app = create_app(
        SettingsWithoutEnvFile(
            database_url=database_url,
            # Generated webhook URLs are stored, never resolved: the tests talk to
            # 127.0.0.1 only (the address checks have tests of their own).
            allow_private_webhooks=True,
            # The ignored_auth check sends the same forged credential to each
            # operation on purpose: counted as refused credentials from one address,
            # and (not being an API key) as one member's requests, it would be cut
            # off at 429 after a few. The limits have tests of their own.
            rate_limit_auth_failures_per_ip="",
            rate_limit_per_member="",
        ),
        migrate_on_start=False,
    )
    running.seed = seed
    with asgi.get_client(cast(Any, running.app)):  # starts its lifespan
        yield running.app
    running.app, running.seed = None, None
    asgi.shutdown_lifespans()


def pick(value: Any, choices: list[str]) -> Any:
    """One of `choices`, or the value itself, chosen by the value: a well-formed id
    is swapped for a known one most of the time; anything else is left alone."""
    try:
        n = uuid.UUID(str(value)).int
    except ValueError:
        return value
    i = n % (len(choices) + 1)
    return choices[i] if i < len(choices) else value


PERSON_FIELDS = {"person_id", "asker_id", "connector_id", "expert_id", "target_id"}


def known_ids(case: Case[Any], seed: Seed) -> None:
    params = case.path_parameters or {}
    if "request_id" in params:
        params["request_id"] = pick(params["request_id"], seed.requests)
    if "person_id" in params:
        params["person_id"] = pick(params["person_id"], seed.people)
    if case.headers and "X-On-Behalf-Of" in case.headers:
        case.headers["X-On-Behalf-Of"] = pick(case.headers["X-On-Behalf-Of"], seed.people)
    if isinstance(case.body, dict):
        for name in PERSON_FIELDS & case.body.keys():
            case.body[name] = pick(case.body[name], seed.people)
    if case.query:
        for name in PERSON_FIELDS & case.query.keys():
            case.query[name] = pick(case.query[name], seed.people)


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_spec(case: Case[Any], app: FastAPI) -> None:
    assert running.seed is not None
    known_ids(case, running.seed)
    case.call_and_validate()
