"""Walking keyset pages in the tests."""

from __future__ import annotations

import uuid
from typing import Any

from warmintro.domain.ports import Page


def next_id(page: Page[Any]) -> uuid.UUID | None:
    """Where the next page of people, connections, requests or webhooks starts: they
    are keyed by id (`Page.next_after` is also typed for event pages, keyed by seq)."""
    after = page.next_after
    assert not isinstance(after, int), after
    return after
