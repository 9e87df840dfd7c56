"""The record of issued email links, in the fake store."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from tests.unit.fakes.store import FakeStore
from warmintro.domain.action_links import ActionLink
from warmintro.domain.errors import AlreadyExists


class FakeActionLinks:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, link: ActionLink) -> None:
        key = (link.claims.workspace_id, link.token_hash)
        if key in self._store.data.action_links:
            raise AlreadyExists("this link is recorded already")
        self._store.data.action_links[key] = link

    async def get(self, workspace_id: uuid.UUID, token_hash: str) -> ActionLink | None:
        """The link with this token hash, or None if it was never issued (or revoked)."""
        return self._store.data.action_links.get((workspace_id, token_hash))

    async def mark_used(
        self, workspace_id: uuid.UUID, token_hash: str, action: str, at: datetime
    ) -> None:
        """Record the decision the link took; the first one stands."""
        key = (workspace_id, token_hash)
        link = self._store.data.action_links.get(key)
        if link is not None and link.used_at is None:
            self._store.data.action_links[key] = replace(link, used_at=at, used_action=action)
