"""The development mailbox: each email as it would look, its headers, its links as
buttons; served only in development."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser
from typing import Any

import httpx

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World
from tests.settings import SettingsWithoutEnvFile
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap


async def test_the_dev_mailbox_shows_mail_in_development_only(
    world: World,
    mailroom: Mailroom,
    visitor: httpx.AsyncClient,
    database_url: str,
    clock: FakeClock,
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    r = await visitor.get("/dev/mailbox")
    assert_page(r, 200, "Dev mailbox", ask.email.subject)
    assert f'href="http://127.0.0.1:8000{ask.action_path}"' in r.text

    settings = SettingsWithoutEnvFile(
        database_url=database_url,
        environment="production",
        secret_key=secrets.token_urlsafe(30)[:40],
        public_base_url="https://intros.example.org",
    )
    production = bootstrap(settings, clock)
    try:
        app = create_app(container=production, migrate_on_start=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.get("/dev/mailbox")
            assert_page(r, 404)
            assert ask.email.subject not in r.text
            # Links signed with the development key mean nothing to production.
            assert_page(await client.get(ask.action_path), 404)
    finally:
        await production.close()


class _Mailbox(HTMLParser):
    """Per email (article): its header rows, its buttons (label, href), its frames."""

    def __init__(self) -> None:
        super().__init__()
        self.mails: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._button: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article":
            self.mails.append({"headers": {}, "buttons": [], "frames": []})
        elif not self.mails:
            return
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "a" and "button" in (a.get("class") or ""):
            self._button = {"href": a.get("href"), "label": ""}
        elif tag == "iframe":
            self.mails[-1]["frames"].append(a)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._button is not None:
            self._button["label"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
            if len(self._row) == 2:
                self.mails[-1]["headers"][self._row[0]] = self._row[1]
                self._row = []
        elif tag == "a" and self._button is not None:
            self.mails[-1]["buttons"].append((self._button["label"], self._button["href"]))
            self._button = None


def mails(page_html: str) -> list[dict[str, Any]]:
    parser = _Mailbox()
    parser.feed(page_html)
    return parser.mails


async def test_the_mailbox_shows_each_email_as_it_would_look_with_headers_and_buttons(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    hostile = await world.pid('Eve "><script>alert(1)</script>')
    await world.ask(hostile, cast.connector.id, topic="<img src=x onerror=alert(1)>")
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    r = await visitor.get("/dev/mailbox")
    assert_page(r, 200)
    mail = next(m for m in mails(r.text) if m["headers"].get("Message-ID") == ask.email.message_id)

    headers = mail["headers"]
    assert {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe"} <= set(
        headers
    )
    assert cast.connector.email in headers["To"] and headers["Subject"] == ask.email.subject
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/a/")
    assert len(headers["List-Unsubscribe"]) <= 74 and headers["List-Unsubscribe"].endswith("…>")
    # The links as buttons, with the words the email puts on them, not raw addresses.
    labels = {href: label for label, href in mail["buttons"]}
    action, unsubscribe = (
        f"http://127.0.0.1:8000{p}" for p in (ask.action_path, ask.unsubscribe_path)
    )
    assert labels.keys() == {action, unsubscribe}
    assert all(0 < len(label) <= 40 and "http" not in label for label in labels.values())
    # The HTML part, in a frame that runs no script and shares no origin with the app.
    (frame,) = mail["frames"]
    assert frame["srcdoc"].startswith("<!doctype html>") and action in frame["srcdoc"]
    assert ask.email.html.replace("<head>", '<head><base target="_blank">', 1) == frame["srcdoc"]
    sandbox = set((frame["sandbox"] or "").split())
    assert not sandbox & {"allow-scripts", "allow-same-origin", "allow-top-navigation"}
    # The page itself carries no markup from the email: all of it is text or an attribute.
    assert "<script" not in r.text and "<img" not in r.text
    assert "script-src" not in r.headers["content-security-policy"]
