"""Drives the API for the end-to-end suite: people, connections, asks, and acting as a party.

Everything goes through the HTTP API (an httpx client on the ASGI app), except
what the API deliberately never exposes: the outbox and the dev mailbox (`mail`).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa

from tests.e2e.mail import Mailroom
from tests.workspaces import Workspace, new_workspace
from warmintro.api.container import Container

PROBLEM_FIELDS = {"type", "title", "status", "code", "detail"}
_seq = itertools.count(1)


def as_(person_id: str | uuid.UUID) -> dict[str, str]:
    """Headers for an API key acting for one person."""
    return {"X-On-Behalf-Of": str(person_id)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwt_segment(obj: dict[str, Any]) -> str:
    """A JWT header or payload as a forger writes one: base64url JSON, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def assert_problem(
    r: httpx.Response, status: int, code: str | tuple[str, ...] | None = None, **facts: Any
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code, or one of
    several codes, and facts)."""
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    if code is not None:
        codes = (code,) if isinstance(code, str) else code
        assert body["code"] in codes, body
        assert body["type"].endswith(body["code"]), body
    for name, value in facts.items():
        assert body.get(name) == value, (name, body)
    return body


@dataclass
class Party:
    """The people of one intro request."""

    asker: str
    connector: str
    expert: str
    request: str


class World:
    """Builds and drives a workspace through its API key."""

    def __init__(self, api: httpx.AsyncClient, workspace: Workspace, container: Container) -> None:
        self.api = api
        self.workspace = workspace
        self.container = container
        self.mail = Mailroom(container, workspace.id)

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL statements the app runs meanwhile: SQLAlchemy's, and those the
        hot paths send past it, by asyncpg or by our SQLite driver (logged on
        `warmintro.sql`). BEGIN is listed on SQLite only: asyncpg begins and commits
        a transaction itself."""
        seen: list[str] = []

        def note(*args: Any) -> None:
            seen.append(str(args[2]))

        class Noted(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                seen.append(record.getMessage())

        engine = self.container.engine.sync_engine
        direct, handler = logging.getLogger("warmintro.sql"), Noted()
        level = direct.level
        sa.event.listen(engine, "before_cursor_execute", note)
        direct.addHandler(handler)
        direct.setLevel(logging.DEBUG)
        try:
            yield seen
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
            direct.removeHandler(handler)
            direct.setLevel(level)

    # ---- people -----------------------------------------------------------

    async def person(self, name: str | None = None, **fields: Any) -> dict[str, Any]:
        n = next(_seq)
        body = {"email": f"p{n}-{uuid.uuid4().hex[:8]}@example.com", "name": name or f"P{n}"}
        body.update(fields)
        r = await self.api.post("/v1/people", json=body)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def pid(self, name: str | None = None, **fields: Any) -> str:
        person_id: str = (await self.person(name, **fields))["id"]
        return person_id

    async def connect(self, a: str, b: str, strength: int = 3, context: str = "") -> None:
        r = await self.api.post(
            f"/v1/people/{a}/connections",
            json={"person_id": b, "strength": strength, "context": context},
        )
        assert r.status_code == 201, r.text

    async def token(self, person_id: str, ttl_seconds: int | None = None) -> str:
        body = {"ttl_seconds": ttl_seconds} if ttl_seconds else None
        r = await self.api.post(f"/v1/people/{person_id}/tokens", json=body)
        assert r.status_code == 201, r.text
        token: str = r.json()["token"]
        return token

    # ---- intro requests ---------------------------------------------------------

    async def ask(
        self,
        asker: str,
        connector: str,
        topic: str = "pricing a B2B SaaS product",
        message: str = "I'm launching a product and want to learn how to price it.",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "asker_id": asker,
            "connector_id": connector,
            "topic": topic,
            "message": message,
            **extra,
        }
        r = await self.api.post("/v1/intro-requests", json=body)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def party(self, **extra: Any) -> Party:
        """Asker, connector and a would-be expert, and one ask in awaiting_connector."""
        asker = await self.pid("Asker")
        connector = await self.pid("Connector")
        expert = await self.pid("Expert", expertise=["pricing"])
        request = await self.ask(asker, connector, **extra)
        return Party(asker, connector, expert, request["id"])

    async def act(
        self, request_id: str, action: str, actor: str, json: Any = None
    ) -> httpx.Response:
        return await self.api.post(
            f"/v1/intro-requests/{request_id}/{action}", json=json, headers=as_(actor)
        )

    async def do(
        self, request_id: str, action: str, actor: str, json: Any = None
    ) -> dict[str, Any]:
        """An action that must succeed."""
        r = await self.act(request_id, action, actor, json)
        assert r.status_code == 200, r.text
        request: dict[str, Any] = r.json()
        return request

    async def view(self, request_id: str, person: str | None = None) -> dict[str, Any]:
        r = await self.api.get(
            f"/v1/intro-requests/{request_id}", headers=as_(person) if person else None
        )
        assert r.status_code == 200, r.text
        request: dict[str, Any] = r.json()
        return request

    async def events(self, request_id: str, person: str | None = None) -> list[dict[str, Any]]:
        """The whole timeline (all pages) as the API key, or as one person."""
        return await collect(
            self.api,
            f"/v1/intro-requests/{request_id}/events",
            headers=as_(person) if person else None,
        )

    async def requests(self, **params: Any) -> list[dict[str, Any]]:
        """Every intro request the API key sees (all pages)."""
        return await collect(self.api, "/v1/intro-requests", **params)

    async def snapshot(self, request_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The operator's view and timeline: compare before and after to prove nothing moved."""
        return await self.view(request_id), await self.events(request_id)

    async def other_workspace(self) -> str:
        """A second workspace's API key."""
        return (await new_workspace(self.container, "other")).api_key


async def collect(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = await client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


class Cases:
    """Many cases in one test (each test pays for a fresh app and workspace); every
    failing case is reported by name, not just the first."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.ran = 0

    @contextmanager
    def case(self, name: str) -> Iterator[None]:
        self.ran += 1
        try:
            yield
        except AssertionError as exc:
            self.failures.append(f"[{name}] {exc}")

    def check(self) -> None:
        assert self.ran, "no cases ran"
        assert not self.failures, f"{len(self.failures)} of {self.ran} cases failed:\n" + (
            "\n".join(self.failures)
        )
