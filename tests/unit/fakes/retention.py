"""The fake retention: deletes from the fake store by the port's rules."""

from __future__ import annotations

import uuid
from datetime import datetime

from tests.unit.fakes.store import FakeStore

DONE_EMAIL = ("sent", "skipped", "failed")


class FakeRetention:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def purge(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        data = self._store.data
        # The fake records no sent_at: an email's last touch is when it was due.
        emails = [
            row
            for row in data.outbox
            if row.workspace_id == workspace_id
            and row.status in DONE_EMAIL
            and row.available_at < before
        ][:limit]
        data.outbox = [row for row in data.outbox if row not in emails]
        deliveries = [
            key
            for key, d in data.webhook_deliveries.items()
            if key[0] == workspace_id
            and d.status == "delivered"
            and d.delivered_at is not None
            and d.delivered_at < before
        ][: limit - len(emails)]
        for delivery in deliveries:
            del data.webhook_deliveries[delivery]
        links = [
            key
            for key, link in data.action_links.items()
            if key[0] == workspace_id
            and (link.expires_at < before or (link.used_at is not None and link.used_at < before))
        ][: limit - len(emails) - len(deliveries)]
        for key in links:
            del data.action_links[key]
        return len(emails) + len(deliveries) + len(links)
