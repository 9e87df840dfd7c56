"""Example requests for the aggregate's tests: the people, the clock's start, and
a request freshly opened, proposed or introduced."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Timing

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIMING = Timing()
WS = uuid.uuid4()
ASKER = uuid.uuid4()
CONNECTOR = uuid.uuid4()
EXPERT = uuid.uuid4()
OTHER_EXPERT = uuid.uuid4()
STRANGER = uuid.uuid4()
F1, F2, F3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
C2, C3, C4, C5 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
EVERYONE = frozenset({F1, F2, F3, C2, C3, C4, C5})


def new_request(**overrides: Any) -> IntroRequest:
    args: dict[str, Any] = dict(
        workspace_id=WS,
        asker_id=ASKER,
        connector_id=CONNECTOR,
        topic="Pricing a B2B SaaS",
        message="I am launching a developer tool and would love to hear how others price it.",
        now=T0,
        timing=TIMING,
    )
    args.update(overrides)
    return IntroRequest.open_new(**args)


def proposed(**overrides: Any) -> IntroRequest:
    request = new_request(**overrides)
    request.propose(CONNECTOR, EXPERT, "she priced three of them", T0, TIMING)
    return request


def introduced() -> IntroRequest:
    request = proposed()
    request.accept(EXPERT, "happy to help", T0)
    return request


def snapshot(request: IntroRequest) -> dict[str, Any]:
    return {
        f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name != "events"
    } | {"events": list(request.events)}


def types(request: IntroRequest) -> list[str]:
    return [e.type for e in request.events]
