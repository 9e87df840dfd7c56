"""What the worker sent: the outbox rows, the dev mailbox, and the links in an email.

The console transport keeps every email it sends in `container.mailbox`; the
database may be shared, so an email is this test's when its workspace tag says
so. The outbox row it came from names its template.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa

from warmintro.api.container import Container
from warmintro.domain.action_links import ActionLink, token_hash
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra.tables import events, outbox

ACTION_URL = re.compile(r"https?://[^\s\"'<>]+/a/([A-Za-z0-9._~-]+)")
ACTION_PATH = re.compile(r"/a/[A-Za-z0-9_\-.]+")
URL = re.compile(r"https?://[^\s<>\"']+")
MESSAGE_ID = re.compile(r"<[0-9a-f-]{36}@[^>\s]+>")


class Runner(Protocol):
    """The worker, or one of its relays."""

    async def run_once(self) -> int: ...


async def drain(runner: Runner, limit: int = 60) -> int:
    """Passes until one finds nothing to do; returns the total work done."""
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


def suggestion_links(text: str) -> dict[str, str]:
    """A connector's email's suggestions, in order: person id -> the link (path and
    query) that opens the page on them."""
    return {
        m[2]: f"{m[1]}?expert={m[2]}" for m in re.finditer(r"(/a/[^\s?\"]+)\?expert=([\w-]+)", text)
    }


def addressed_to(emails: list[OutgoingEmail], address: str) -> list[OutgoingEmail]:
    """Emails with this address in To or Cc."""
    key = address.casefold()
    return [e for e in emails if any(a.email.casefold() == key for a in (e.to, *e.also_to, *e.cc))]


@dataclass(frozen=True)
class Sent:
    """One email the console transport took, with the outbox row it came from."""

    template: str
    row: Any
    email: OutgoingEmail

    @property
    def to(self) -> str:
        return self.email.to.email

    @property
    def recipient_id(self) -> str:
        return str(self.row.recipient_id)

    @property
    def request_id(self) -> str | None:
        return str(self.row.request_id) if self.row.request_id else None

    @property
    def action_path(self) -> str:
        """The path of the decision link in the text body (a connector's suggestions
        each link to the same path, opened on one person by `?expert=`)."""
        found = sorted(set(ACTION_PATH.findall(self.email.text)))
        assert len(found) == 1, f"{self.template}: expected one action link, found {found}"
        return str(found[0])

    @property
    def unsubscribe_path(self) -> str:
        value = dict(self.email.headers)["List-Unsubscribe"]
        assert value.startswith("<") and value.endswith(">"), value
        return urlsplit(value[1:-1]).path

    def urls(self) -> set[str]:
        """Every link a scanner would find: text, HTML and the List-Unsubscribe header."""
        found = set(URL.findall(self.email.text)) | set(URL.findall(self.email.html))
        found |= {v.strip("<>") for k, v in self.email.headers if k == "List-Unsubscribe"}
        return {u.replace("&amp;", "&") for u in found}


class Mailroom:
    """The outbox and the dev mailbox of one workspace."""

    def __init__(self, container: Container, workspace_id: uuid.UUID) -> None:
        self.container = container
        self.workspace_id = workspace_id

    async def run(self) -> int:
        """Worker passes (timers, mail, webhooks) until one finds nothing due."""
        return await drain(self.container.worker)

    async def rows(
        self,
        request_id: str | uuid.UUID | None = None,
        template: str | None = None,
        *,
        recipient_id: str | uuid.UUID | None = None,
    ) -> list[Any]:
        """Outbox rows, oldest first."""
        query = sa.select(outbox).where(outbox.c.workspace_id == self.workspace_id)
        if request_id is not None:
            query = query.where(outbox.c.request_id == uuid.UUID(str(request_id)))
        if template is not None:
            query = query.where(outbox.c.template == template)
        if recipient_id is not None:
            query = query.where(outbox.c.recipient_id == uuid.UUID(str(recipient_id)))
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

    def emails(self) -> list[OutgoingEmail]:
        """What the dev mailbox holds for this workspace, oldest first."""
        return [
            entry.email
            for entry in reversed(self.container.mailbox.entries())
            if dict(entry.email.tags).get("workspace_id") == str(self.workspace_id)
        ]

    async def sent(
        self,
        template: str | None = None,
        *,
        to: str | None = None,
        request_id: str | uuid.UUID | None = None,
    ) -> list[Sent]:
        """What the dev mailbox holds for this workspace, with its rows, oldest first."""
        rows = {r.id: r for r in await self.rows()}
        out = []
        for email in self.emails():
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

    async def latest(self, template: str, to: str, request: str | None = None) -> Sent:
        """Run the worker, then the newest `template` email to person `to` (about
        `request`, if given)."""
        await self.run()
        found = [
            m
            for m in await self.sent(template)
            if m.recipient_id == to and (request is None or m.request_id == request)
        ]
        assert found, f"no {template} email to {to}: {templates_of(await self.sent())}"
        return found[-1]

    async def link(self, url_or_token: str) -> ActionLink:
        token = url_or_token.rsplit("/a/", 1)[-1]
        claims = self.container.use_cases.env.link_tokens.verify(token)
        async with self.container.uow(write=False) as uow:
            link = await uow.action_links.get(claims.workspace_id, token_hash(token))
        assert link is not None, "the link was never issued"
        return link


def templates_of(sent: Iterable[Sent]) -> list[str]:
    return [s.template for s in sent]
