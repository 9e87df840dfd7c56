"""The captured mail of one workspace, and the links in it.

The console transport keeps every email it sends in `container.mailbox`; the
database is shared by the session, so an email is this test's when its
workspace tag says so. The outbox row it came from names its template.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa

from warmintro.api.container import Container
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra.tables import outbox

ACTION_PATH = re.compile(r"/a/[A-Za-z0-9_\-.]+")
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Mail:
    template: str
    recipient_id: str
    request_id: str | None
    email: OutgoingEmail

    @property
    def action_path(self) -> str:
        """The path of the decision link in the text body."""
        found = ACTION_PATH.findall(self.email.text)
        assert len(found) == 1, f"{self.template}: expected one action link, found {found}"
        return found[0]

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


class Inbox:
    def __init__(self, container: Container, workspace_id: uuid.UUID) -> None:
        self.container = container
        self.workspace_id = workspace_id

    async def deliver(self) -> None:
        """Run the worker until nothing is due (timers first, then the outbox)."""
        for _ in range(50):
            if not await self.container.worker.run_once():
                return
        raise AssertionError("the worker never went idle")

    async def mails(self) -> list[Mail]:
        """This workspace's emails, oldest first."""
        ours = [
            e.email
            for e in reversed(self.container.mailbox.entries())
            if dict(e.email.tags).get("workspace_id") == str(self.workspace_id)
        ]
        async with self.container.engine.connect() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    sa.select(outbox).where(outbox.c.workspace_id == self.workspace_id)
                )
            }
        out = []
        for email in ours:
            row = rows[uuid.UUID(dict(email.tags)["outbox_id"])]
            out.append(
                Mail(
                    row.template,
                    str(row.recipient_id),
                    str(row.request_id) if row.request_id else None,
                    email,
                )
            )
        return out

    async def latest(self, template: str, to: str, request: str | None = None) -> Mail:
        """Deliver what is due, then the newest `template` email to person `to`
        (about `request`, if given)."""
        await self.deliver()
        found = [
            m
            for m in await self.mails()
            if m.template == template
            and m.recipient_id == to
            and (request is None or m.request_id == request)
        ]
        assert found, f"no {template} email to {to}: {[m.template for m in await self.mails()]}"
        return found[-1]
