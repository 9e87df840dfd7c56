"""What a POST to an email link may carry: a form as our pages (or a mail client's
one-click unsubscribe) send it, read as text, and the decision it asks for.

Browsers send these forms as UTF-8, URL-encoded or multipart, and never a file
or a NUL character. A body that is anything else did not come from a form: it is
refused before any use case sees it, with a page, never a 500 (PostgreSQL cannot
store NUL, so a NUL that slipped through would fail deep in a transaction). The
JSON API refuses NUL in its schemas (`api/schemas.py`); this is the same rule
for the pages.
"""

from __future__ import annotations

import re
import uuid
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from warmintro.domain import commands as cmd
from warmintro.domain import errors
from warmintro.domain.action_links import RESUBSCRIBE, UNSUBSCRIBE
from warmintro.domain.intro_request import Action, DeclineReason, Rating

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_UTF8 = {"", "utf-8", "utf8", "us-ascii"}
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class GarbledForm(Exception):
    """A body no form of ours sends: bytes that are not UTF-8, broken escapes,
    broken multipart, a file, a charset we never declare."""


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields as text. Raises GarbledForm for a body no form sends, and
    InvalidInput for a NUL anywhere in it (the page says so, as the API does). A
    body that is not a form at all (JSON, plain text) reads as no fields: the link
    is asked for nothing it offers. A body over the limit raises the 413 on the way."""
    media, _, params = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    if media not in (URLENCODED, MULTIPART):
        return {}
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise GarbledForm from None
    if _charset(params) not in _UTF8:
        raise GarbledForm
    fields = _urlencoded(text) if media == URLENCODED else await _multipart(request)
    if any("\x00" in name or "\x00" in value for name, value in fields.items()):
        raise errors.InvalidInput("text must not contain NUL characters")
    return fields


def _charset(params: str) -> str:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def _urlencoded(text: str) -> dict[str, str]:
    if _BAD_ESCAPE.search(text):
        raise GarbledForm
    try:
        return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise GarbledForm from None


async def _multipart(request: Request) -> dict[str, str]:
    try:
        form = await request.form()
    except StarletteHTTPException as exc:
        if exc.status_code == 413:
            raise  # a body over the limit stays a 413
        raise GarbledForm from None  # Starlette's word for broken multipart
    except Exception:  # python-multipart raises several kinds for a broken body
        raise GarbledForm from None
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            await form.close()
            raise GarbledForm
        fields[name] = value
    return fields


def decision(fields: dict[str, str]) -> cmd.Decision | cmd.Unsubscribe | cmd.Resubscribe | None:
    """The form as a decision; None when it asks for nothing a link can do. RFC 8058
    one-click unsubscribe posts only "List-Unsubscribe=One-Click"."""
    action = fields.get("action") or (UNSUBSCRIBE if "List-Unsubscribe" in fields else "")
    if action == UNSUBSCRIBE:
        return cmd.Unsubscribe()
    if action == RESUBSCRIBE:
        return cmd.Resubscribe()
    note = fields.get("note", "")
    match action:
        case Action.PROPOSE:
            expert_id = _uuid(fields.get("expert_id"))
            if expert_id is not None:
                return cmd.Propose(expert_id=expert_id, note=note)
            if not fields.get("expert_email") or not fields.get("expert_name"):
                raise errors.InvalidInput("Choose someone you know, or give a name and an email.")
            new = cmd.NewPerson(fields["expert_email"], fields["expert_name"])
            return cmd.Propose(expert=new, note=note)
        case Action.FORWARD:
            connector_id = _uuid(fields.get("connector_id"))
            if connector_id is not None:
                return cmd.Forward(connector_id=connector_id, note=note)
            if not fields.get("connector_email") or not fields.get("connector_name"):
                raise errors.InvalidInput(
                    "Choose who should answer instead, or give a name and an email."
                )
            new = cmd.NewPerson(fields["connector_email"], fields["connector_name"])
            return cmd.Forward(connector=new, note=note)
        case Action.DECLINE:
            return cmd.Decline(reason=_choice(DeclineReason, fields.get("reason")), note=note)
        case Action.ACCEPT:
            return cmd.Accept(note=note)
        case Action.FEEDBACK:
            return cmd.GiveFeedback(rating=_choice(Rating, fields.get("rating")), note=note)
        case Action.CANCEL:
            return cmd.Cancel()
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise errors.InvalidInput("That choice is not one we offered.") from None


Choice = TypeVar("Choice", DeclineReason, Rating)


def _choice(kind: type[Choice], value: str | None) -> Choice:
    try:
        return kind(value or "")
    except ValueError:
        raise errors.InvalidInput("Please choose one of the options.") from None
