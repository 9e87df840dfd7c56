"""A Python client generated from the committed spec by openapi-python-client, used
as an integrator would use it: its methods are named by the short operation ids, and
it drives whole intros against the app served on loopback, calling the actions whose
body may be left out both with and without one."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.clock import FakeClock
from tests.databases import REQUIRE_PG
from tests.e2e.servers import loopback_socket, serving
from tests.workspaces import Workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
PACKAGE = "warmintro_client"
GENERATE = (sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC))
GENERATE_OPTIONS = ("--meta", "none", "--fail-on-warning")
GENERATOR_CONFIG = {"content_type_overrides": {"text/csv": "application/octet-stream"}}
"""The generator knows no text/csv: `POST /v1/people/import` takes CSV as raw bytes,
which the generated client sends with the declared type, text/csv."""
GENERATE_SECONDS = 120

INTRO_REQUEST_IDS = {
    ("post", "/v1/intro-requests"): "createIntroRequest",
    ("get", "/v1/intro-requests"): "listIntroRequests",
    ("get", "/v1/intro-requests/{request_id}"): "getIntroRequest",
    ("get", "/v1/intro-requests/{request_id}/events"): "listIntroRequestEvents",
    ("get", "/v1/intro-requests/{request_id}/suggestions"): "suggestExperts",
    ("post", "/v1/intro-requests/{request_id}/propose"): "proposeExpert",
    ("post", "/v1/intro-requests/{request_id}/forward"): "forwardIntroRequest",
    ("post", "/v1/intro-requests/{request_id}/decline"): "declineIntroRequest",
    ("post", "/v1/intro-requests/{request_id}/accept"): "acceptIntroRequest",
    ("post", "/v1/intro-requests/{request_id}/cancel"): "cancelIntroRequest",
    ("post", "/v1/intro-requests/{request_id}/feedback"): "giveFeedback",
}


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    spec = json.loads(SPEC.read_text())
    return {(m, path): op for path, ops in spec["paths"].items() for m, op in ops.items()}


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_every_operation_id_is_short_camel_case_and_unique() -> None:
    ids = {key: op["operationId"] for key, op in operations().items()}
    assert len(set(ids.values())) == len(ids)
    for key, operation_id in ids.items():
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), (key, operation_id)
        assert len(operation_id) <= 30, (key, operation_id)
    assert {key: ids[key] for key in INTRO_REQUEST_IDS} == INTRO_REQUEST_IDS


def test_a_body_that_may_be_left_out_is_the_model_itself_never_null() -> None:
    """A nullable optional body is what made a generated client send its own "unset"
    marker; an optional body is declared as its model, so the client sends nothing."""
    optional = {
        key: op["requestBody"]
        for key, op in operations().items()
        if "requestBody" in op and not op["requestBody"].get("required")
    }
    assert {path for _, path in optional} == {
        "/v1/intro-requests/{request_id}/accept",
        "/v1/people/{person_id}/tokens",
    }
    for key, body in optional.items():
        assert list(body["content"]) == ["application/json"], key
        assert set(body["content"]["application/json"]["schema"]) == {"$ref"}, key


# ---- the generated client -------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`openapi-python-client generate` on the committed spec, importable as
    `warmintro_client`; any warning from the generator fails the test."""
    if importlib.util.find_spec("openapi_python_client") is None:
        problem = "openapi-python-client is not installed"
        if REQUIRE_PG:
            pytest.fail(f"WARMINTRO_REQUIRE_POSTGRES=1 (CI) but {problem}")
        pytest.skip(problem)
    out = tmp_path_factory.mktemp("generated") / PACKAGE
    config = out.parent / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    # The generator formats its output with ruff, which sits beside this Python.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    done = subprocess.run(
        [*GENERATE, *GENERATE_OPTIONS, "--config", str(config), "--output-path", str(out)],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out.parent))
    try:
        yield out
    finally:
        sys.path.remove(str(out.parent))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_generated_methods_are_named_by_the_operation_ids(generated: Path) -> None:
    modules = {p.stem for p in (generated / "api").glob("*/*.py") if p.stem != "__init__"}
    assert modules == {snake(op["operationId"]) for op in operations().values()}
    intros = {p.stem for p in (generated / "api" / "intro_requests").glob("[!_]*.py")}
    assert intros == {snake(i) for i in INTRO_REQUEST_IDS.values()}
    # Every answer is a named schema: no model is named after an operation.
    assert not [p.stem for p in (generated / "models").glob("*response*")]


def api(tag: str, operation_id: str) -> Any:
    """The generated module of one operation: `.asyncio(...)` calls it."""
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{snake(operation_id)}")


@asynccontextmanager
async def client_for(container: Container, token: str) -> AsyncIterator[Any]:
    """The generated client on the app under uvicorn on 127.0.0.1, with `token`."""
    app = create_app(container=container, migrate_on_start=False)
    async with serving(app, loopback_socket()) as url:
        client = importlib.import_module(PACKAGE).AuthenticatedClient(
            base_url=url,
            token=token,
            raise_on_unexpected_status=True,
            httpx_args={"trust_env": False},
        )
        async with client:
            yield client


@pytest.fixture
async def client(generated: Path, container: Container, workspace: Workspace) -> AsyncIterator[Any]:
    """The generated client with the workspace's API key."""
    async with client_for(container, workspace.api_key) as client:
        yield client


@pytest.fixture
def models(generated: Path) -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def ok(answer: Any, model: str) -> Any:
    """The parsed answer, which must be `model` (a Problem shows what went wrong)."""
    assert type(answer).__name__ == model, answer
    return answer


@dataclass(frozen=True)
class Cast:
    """Ann asks, Cat connects, Eve knows pricing (Cat knows Eve)."""

    ann: uuid.UUID
    cat: uuid.UUID
    eve: uuid.UUID


async def cast(client: Any, models: Any) -> Cast:
    ids = []
    for name, more in [("Ann", {}), ("Cat", {}), ("Eve", {"expertise": ["pricing"]})]:
        body = models.PersonIn(email=f"{name.lower()}@example.com", name=name, **more)
        answer = await api("people", "createPerson").asyncio(client=client, body=body)
        ids.append(ok(answer, "PersonOut").id)
    people = Cast(*ids)
    knows = models.ConnectionIn(person_id=people.eve, strength=4, context="ex-colleague")
    answer = await api("people", "addConnection").asyncio(people.cat, client=client, body=knows)
    assert ok(answer, "ConnectionOut").person_id == people.eve
    return people


async def ask_and_propose(client: Any, models: Any, people: Cast, topic: str) -> uuid.UUID:
    """Ann asks Cat about `topic`; Cat proposes Eve by id."""
    body = models.IntroRequestIn(
        asker_id=people.ann, connector_id=people.cat, topic=topic, message=f"Help with {topic}?"
    )
    answer = await api("intro_requests", "createIntroRequest").asyncio(client=client, body=body)
    asked = ok(answer, "IntroRequestOut")
    assert asked.state == "awaiting_connector"
    answer = await api("intro_requests", "proposeExpert").asyncio(
        asked.id,
        client=client,
        body=models.ProposeIn(expert_id=people.eve, note="Eve priced three products"),
        x_on_behalf_of=str(people.cat),
    )
    assert ok(answer, "IntroRequestOut").state == "awaiting_expert"
    request_id: uuid.UUID = asked.id
    return request_id


async def introduced_note(client: Any, request_id: uuid.UUID, expert: uuid.UUID) -> str:
    """The expert's note on the introduction, from the expert's own timeline."""
    answer = await api("intro_requests", "listIntroRequestEvents").asyncio(
        request_id, client=client, x_on_behalf_of=str(expert)
    )
    page = ok(answer, "PageEventOut")
    [introduced] = [e for e in page.items if e.type_ == "intro_request.introduced"]
    note: str = introduced.data["note"]
    return note


async def test_a_generated_client_drives_a_whole_intro(
    client: Any, models: Any, container: Container
) -> None:
    people = await cast(client, models)
    request_id = await ask_and_propose(client, models, people, "pricing")
    before = await api("intro_requests", "getIntroRequest").asyncio(
        request_id, client=client, x_on_behalf_of=str(people.ann)
    )
    assert ok(before, "IntroRequestOut").expert_id is None  # the asker does not see Eve yet

    accepted = await api("intro_requests", "acceptIntroRequest").asyncio(
        request_id, client=client, x_on_behalf_of=str(people.eve)
    )  # no body at all
    assert ok(accepted, "IntroRequestOut").state == "introduced"
    assert await introduced_note(client, request_id, people.eve) == ""

    done = await api("intro_requests", "giveFeedback").asyncio(
        request_id,
        client=client,
        body=models.FeedbackIn(rating=models.Rating("yes"), note="Very helpful"),
        x_on_behalf_of=str(people.ann),
    )
    assert ok(done, "IntroRequestOut").state == "completed"
    assert done.feedback_rating == "yes" and done.expert_id == people.eve

    # Ann's browser, with a member token minted without a body.
    minted = await api("people", "mintMemberToken").asyncio(people.ann, client=client)
    async with client_for(container, ok(minted, "TokenOut").token) as as_ann:
        mine = await api("intro_requests", "getIntroRequest").asyncio(request_id, client=as_ann)
        assert ok(mine, "IntroRequestOut").viewer_role == "asker"
        assert mine.state == "completed" and mine.expert_id == people.eve


async def test_the_bodies_that_may_be_left_out_can_be_sent(
    client: Any, models: Any, clock: FakeClock
) -> None:
    people = await cast(client, models)
    request_id = await ask_and_propose(client, models, people, "hiring")
    accepted = await api("intro_requests", "acceptIntroRequest").asyncio(
        request_id,
        client=client,
        body=models.AcceptIn(note="Glad to help"),
        x_on_behalf_of=str(people.eve),
    )
    assert ok(accepted, "IntroRequestOut").state == "introduced"
    assert await introduced_note(client, request_id, people.eve) == "Glad to help"

    mint = api("people", "mintMemberToken").asyncio
    default = ok(await mint(people.ann, client=client), "TokenOut")
    short = ok(
        await mint(people.ann, client=client, body=models.TokenIn(ttl_seconds=600)), "TokenOut"
    )
    assert default.expires_at == clock.now() + timedelta(hours=1)
    assert short.expires_at == clock.now() + timedelta(minutes=10)
