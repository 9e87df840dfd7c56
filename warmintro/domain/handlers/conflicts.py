"""Taking a decision again when someone else changed the request first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from warmintro.domain.errors import ConcurrentUpdate

T = TypeVar("T")

ATTEMPTS = 3


async def retrying(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run `attempt` (one whole transaction) again when it loses an optimistic race.

    The second try reads the fresh state, so a repeat of the winner's decision (a
    double click) succeeds as a no-op and a conflicting one fails with the state
    that now stands. Only a request that keeps changing under us ends in
    ConcurrentUpdate.
    """
    for _ in range(attempts - 1):
        try:
            return await attempt()
        except ConcurrentUpdate:
            continue
    return await attempt()
