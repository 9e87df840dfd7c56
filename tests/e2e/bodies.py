"""Valid request bodies to spoil one field at a time, and the check that a spoiled
one is refused as invalid input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.world import Party, assert_problem

INVALID = {"validation_error", "invalid_input"}

NOBODY = "00000000-0000-4000-8000-000000000000"


def assert_invalid(r: httpx.Response, code: str | None = None) -> dict[str, Any]:
    """422 invalid input; with `code`, exactly that problem code."""
    body = assert_problem(r, 422, code)
    assert code or body["code"] in INVALID, body
    return body


def long(n: int) -> str:
    return "x" * n


Body = Callable[[Party], Any]


def ask(p: Party, **changes: Any) -> dict[str, Any]:
    """A valid new ask (to the party's expert, so it is no duplicate), then the changes."""
    body: dict[str, Any] = {
        "asker_id": p.asker,
        "connector_id": p.expert,
        "topic": "a new topic",
        "message": "who do you know?",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def person(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"email": "new@example.com", "name": "New Person"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}
