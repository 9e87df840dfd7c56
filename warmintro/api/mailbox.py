"""The development mailbox: each email the console transport captured, as it would
look (its HTML part, in a sandboxed frame), with its headers as they would go on
the wire and its links as buttons with short labels. Served only in development:
production answers 404, as for any address it does not have."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import format_datetime
from html.parser import HTMLParser

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from warmintro.api.deps import ContainerDep
from warmintro.api.pages import message, page
from warmintro.infra.email.senders import MailboxEntry, to_mime

router = APIRouter(include_in_schema=False)

HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
SHORT = 72
"""Links are shown cut to this length (a link with its token is ~490 characters)."""
_URL = re.compile(r"https?://[^\s<>\"]+")
_HEAD = re.compile(r"<head[^>]*>", re.I)
# The email's links open in a new tab, as a mail client's do, never inside the frame.
_IN_A_NEW_TAB = '<base target="_blank">'
# The frame runs no script and may only open those tabs; it inherits this page's CSP,
# so the email loads nothing from anywhere (images from the web are the one thing an
# email could fetch; ours have none).
SANDBOX = "allow-popups allow-popups-to-escape-sandbox"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Shown:
    """One email as the mailbox shows it."""

    number: int
    subject: str
    headers: tuple[tuple[str, str], ...]
    buttons: tuple[Button, ...]
    html: str
    text: str


@router.get("/dev/mailbox", response_class=HTMLResponse)
async def mailbox(c: ContainerDep) -> Response:
    """Emails the console transport captured, newest first; only in development."""
    if not c.settings.is_development:
        return message(404, "Not found")
    entries = c.mailbox.entries()
    shown = [show(len(entries) - i, entry) for i, entry in enumerate(entries)]
    return page("mailbox.html", entries=shown, sandbox=SANDBOX)


def show(number: int, entry: MailboxEntry) -> Shown:
    email = entry.email
    wire = to_mime(email)
    headers = [(name, str(wire[name])) for name in HEADERS if wire[name] is not None]
    if wire["Date"] is None:
        received = format_datetime(entry.received_at)
        headers.insert(_after(headers, "Subject"), ("Date", f"{received} (when captured)"))
    unsubscribe = str(wire["List-Unsubscribe"] or "").strip("<> ")
    return Shown(
        number=number,
        subject=email.subject,
        headers=tuple((name, _short_links(value)) for name, value in headers),
        buttons=buttons(email.html, email.text, unsubscribe),
        html=_framed(email.html),
        text=_short_links(email.text),
    )


def buttons(html: str, text: str, unsubscribe: str) -> tuple[Button, ...]:
    """The email's links, each once, labelled with the words the email puts on it;
    then any only the plain text or the List-Unsubscribe header carries."""
    anchors = _Anchors()
    anchors.feed(html)
    found: dict[str, str] = {}
    for url, label in anchors.links:
        found.setdefault(url, label or "Open link")
    for url in _URL.findall(text):
        found.setdefault(url, "Link from the plain text")
    if unsubscribe:
        found.setdefault(unsubscribe, "List-Unsubscribe")
    return tuple(Button(label[:40], url) for url, label in found.items())


def _short_links(text: str) -> str:
    return _URL.sub(lambda m: _shorten(m.group()), text)


def _shorten(url: str) -> str:
    return url if len(url) <= SHORT else url[: SHORT - 1] + "…"


def _after(headers: list[tuple[str, str]], name: str) -> int:
    names = [n for n, _ in headers]
    return names.index(name) + 1 if name in names else len(headers)


def _framed(html: str) -> str:
    head = _HEAD.search(html)
    if head is None:
        return _IN_A_NEW_TAB + html
    return html[: head.end()] + _IN_A_NEW_TAB + html[head.end() :]


class _Anchors(HTMLParser):
    """(href, text) of each web link in an email's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(("http://", "https://")):
            self._open, self._href = [], href

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append((self._href, " ".join("".join(self._open).split())))
            self._open = None
