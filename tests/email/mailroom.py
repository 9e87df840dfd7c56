"""Reading what the relay sent: outbox rows, the dev mailbox, the links in an email."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from warmintro.api.container import Container
from warmintro.domain.action_links import ActionLink, token_hash
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra.tables import events, outbox

ACTION_URL = re.compile(r"https?://[^\s\"'<>]+/a/([A-Za-z0-9._~-]+)")
MESSAGE_ID = re.compile(r"<[0-9a-f-]{36}@[^>\s]+>")


async def drain(runner: Any, limit: int = 50) -> int:
    """Run a worker or relay until a pass finds nothing to do; returns the total work."""
    total = 0
    for _ in range(limit):
        done = await runner.run_once()
        if not done:
            return total
        total += done
    raise AssertionError(f"still busy after {limit} passes")


def tag(email: OutgoingEmail, key: str) -> str:
    return dict(email.tags)[key]


def header(email: OutgoingEmail, name: str) -> str:
    values = [v for k, v in email.headers if k.lower() == name.lower()]
    assert len(values) == 1, (name, email.headers)
    return values[0]


def action_tokens(text: str) -> list[str]:
    return ACTION_URL.findall(text)


@dataclass(frozen=True)
class Sent:
    """One email the console transport took, with the outbox row it came from."""

    template: str
    row: Any
    email: OutgoingEmail

    @property
    def to(self) -> str:
        return self.email.to.email


class Mailroom:
    """The outbox and the dev mailbox of one workspace."""

    def __init__(self, container: Container, workspace_id: uuid.UUID) -> None:
        self.container = container
        self.workspace_id = workspace_id

    async def run(self) -> int:
        """One worker pass after another until there is nothing due."""
        return await drain(self.container.worker)

    async def rows(
        self, request_id: str | uuid.UUID | None = None, template: str | None = None
    ) -> list[Any]:
        query = sa.select(outbox).where(outbox.c.workspace_id == self.workspace_id)
        if request_id is not None:
            query = query.where(outbox.c.request_id == uuid.UUID(str(request_id)))
        if template is not None:
            query = query.where(outbox.c.template == template)
        async with self.container.engine.connect() as conn:
            return list(await conn.execute(query.order_by(outbox.c.created_at)))

    async def row(self, outbox_id: str | uuid.UUID) -> Any:
        async with self.container.engine.connect() as conn:
            return (
                await conn.execute(
                    sa.select(outbox).where(
                        outbox.c.workspace_id == self.workspace_id,
                        outbox.c.id == uuid.UUID(str(outbox_id)),
                    )
                )
            ).one()

    async def events(self, request_id: str | uuid.UUID, type_: str) -> list[Any]:
        async with self.container.engine.connect() as conn:
            return list(
                await conn.execute(
                    sa.select(events).where(
                        events.c.workspace_id == self.workspace_id,
                        events.c.request_id == uuid.UUID(str(request_id)),
                        events.c.type == type_,
                    )
                )
            )

    async def sent(
        self,
        template: str | None = None,
        *,
        to: str | None = None,
        request_id: str | uuid.UUID | None = None,
    ) -> list[Sent]:
        """What the dev mailbox holds for this workspace, oldest first."""
        rows = {r.id: r for r in await self.rows()}
        out = []
        for entry in reversed(self.container.mailbox.entries()):
            email = entry.email
            if tag(email, "workspace_id") != str(self.workspace_id):
                continue
            row = rows[uuid.UUID(tag(email, "outbox_id"))]
            item = Sent(row.template, row, email)
            if template is not None and item.template != template:
                continue
            if to is not None and item.to != to:
                continue
            if request_id is not None and str(row.request_id) != str(request_id):
                continue
            out.append(item)
        return out

    async def one(self, template: str, **filters: Any) -> Sent:
        found = await self.sent(template, **filters)
        assert len(found) == 1, (template, filters, [(s.template, s.to) for s in found])
        return found[0]

    async def link(self, url_or_token: str) -> ActionLink:
        token = url_or_token.rsplit("/a/", 1)[-1]
        claims = self.container.use_cases.env.link_tokens.verify(token)
        async with self.container.uow(write=False) as uow:
            link = await uow.action_links.get(claims.workspace_id, token_hash(token))
        assert link is not None, "the link was never issued"
        return link


def templates_of(sent: Iterable[Sent]) -> list[str]:
    return [s.template for s in sent]
