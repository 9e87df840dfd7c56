"""The development mailbox: the emails the console transport captured, with their
links made clickable. Served only in development."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from warmintro.api.deps import ContainerDep
from warmintro.api.pages import message, page

router = APIRouter(include_in_schema=False)
_URL = re.compile(r"(https?://[^\s<>\"]+)")


@router.get("/dev/mailbox", response_class=HTMLResponse)
async def mailbox(c: ContainerDep) -> Response:
    """Emails the console transport captured; served only in development."""
    if not c.settings.is_development:
        return message(404, "Not found")
    entries = []
    for entry in c.mailbox.entries():
        parts = [
            {"url": piece} if i % 2 else {"text": piece}
            for i, piece in enumerate(_URL.split(entry.email.text))
        ]
        entries.append({"email": entry.email, "received_at": entry.received_at, "parts": parts})
    return page("mailbox.html", entries=entries)
