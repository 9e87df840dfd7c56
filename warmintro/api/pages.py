"""The pages behind email links, and the development mailbox.

`GET /a/{token}` (and HEAD) only shows: mail scanners fetch every link, so
nothing may change until the person presses a button, which POSTs to the same
address. Every failure is a page with the right status, never a stack trace.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from warmintro.api.container import Container
from warmintro.domain import errors
from warmintro.domain.access import Principal
from warmintro.domain.handlers import intro_requests as h
from warmintro.domain.handlers import people as people_handlers
from warmintro.domain.handlers.intro_requests import rank_suggestions
from warmintro.domain.intro_request import MAX_HOPS, DeclineReason, IntroRequest, Rating, State
from warmintro.infra.action_links import ACTIONS, ActionLink, Purpose
from warmintro.infra.tokens import TokenExpired

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
REASON_TEXT = {
    "busy": "too busy right now",
    "not_a_fit": "not the right person",
    "not_now": "not the right time",
    "other": "another reason",
}
STATE_TEXT = {
    State.AWAITING_CONNECTOR: "waiting for the connector",
    State.AWAITING_EXPERT: "waiting for the expert's answer",
    State.INTRODUCED: "introduced",
    State.COMPLETED: "completed",
    State.DECLINED: "closed: the connector declined",
    State.EXPIRED: "closed: nobody answered in time",
    State.CANCELLED: "withdrawn by the asker",
}
DONE_TEXT = {
    "propose": "Thank you. We have asked them; you will hear back either way.",
    "forward": "Thank you. We have passed the request on.",
    "decline": "Thank you for letting us know.",
    "accept": "Thank you! We have introduced you by email.",
    "feedback": "Thank you. We have passed your answer on.",
    "unsubscribe": "Done. You will receive no more emails from us.",
}


def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = _env.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def message(status: int, heading: str, *paragraphs: str) -> HTMLResponse:
    return page("message.html", status, heading=heading, paragraphs=paragraphs)


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _resolve(container: Container, token: str) -> ActionLink | HTMLResponse:
    try:
        async with container.engine.connect() as conn:
            link = await container.links.resolve(conn, token)
    except TokenExpired:
        return message(
            410,
            "This link has expired",
            "Links in our emails work for a limited time. If you still want to help, "
            "reply to the email you received.",
        )
    except errors.Unauthenticated:
        link = None
    if link is None:
        return message(
            404, "This link does not work", "Check that the whole link was copied from the email."
        )
    return link


@router.api_route("/a/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def show(token: str, request: Request) -> Response:
    container = _container(request)
    link = await _resolve(container, token)
    if isinstance(link, HTMLResponse):
        return link
    if link.purpose is Purpose.UNSUBSCRIBE:
        async with container.uow(write=False) as uow:
            person = await uow.people.get(link.claims.workspace_id, link.claims.person_id)
            workspace = await uow.workspaces.get(link.claims.workspace_id)
        if person is None or workspace is None or person.erased_at is not None:
            return message(404, "This link does not work")
        return page("unsubscribe.html", email=person.email, workspace=workspace.name)
    if link.used_action:
        return message(
            200, "You have already answered", DONE_TEXT.get(link.used_action, "Thank you.")
        )
    return await _decision_page(container, link)


@router.post("/a/{token}", response_class=HTMLResponse)
async def act(token: str, request: Request) -> Response:
    container = _container(request)
    link = await _resolve(container, token)
    if isinstance(link, HTMLResponse):
        return link
    try:
        form = await request.form()
    except Exception:  # a body no browser form sends: garbled multipart and the like
        return message(400, "That did not come from our form")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    # RFC 8058 one-click unsubscribe posts only "List-Unsubscribe=One-Click".
    action = fields.get("action") or ("unsubscribe" if "List-Unsubscribe" in fields else "")
    if action not in ACTIONS[link.purpose]:
        return message(400, "That is not something this link can do")
    if link.used_action and link.purpose is not Purpose.UNSUBSCRIBE:
        if link.used_action == action:
            return message(200, "You have already answered", DONE_TEXT[action])
        return message(
            409,
            "You have already answered",
            f"This link was used to {link.used_action} already, so it cannot also {action}.",
        )
    try:
        principal = await _principal(container, link)
        await _take(container, principal, link, action, fields)
    except errors.WrongState as exc:
        return message(
            409,
            "This request has moved on",
            f"It is now {STATE_TEXT.get(State(exc.current_state), exc.current_state)}, "
            "so there is nothing more to decide here.",
        )
    except errors.AskBudgetExceeded:
        return await _decision_page(
            container,
            link,
            429,
            "They have too many open requests right now. "
            "Try someone else, or ask them again in a few days.",
        )
    except errors.RecipientUnavailable:
        return await _decision_page(
            container, link, 409, "That person cannot be asked: they opted out of these emails."
        )
    except errors.InvalidInput as exc:
        return await _decision_page(container, link, 422, exc.detail)
    except errors.NotPermitted:
        return message(
            409,
            "This request has moved on",
            "It is no longer waiting for your answer, so there is nothing more to decide here.",
        )
    except errors.NotFound:
        return message(404, "This link does not work")
    async with container.engine.begin() as conn:
        await container.links.mark_used(conn, link, action)
    return message(200, "Done", DONE_TEXT[action])


async def _principal(container: Container, link: ActionLink) -> Principal:
    async with container.uow(write=False) as uow:
        workspace = await uow.workspaces.get(link.claims.workspace_id)
    if workspace is None:
        raise errors.NotFound("workspace")
    return Principal(workspace, link.claims.person_id, operator=False)


async def _take(
    container: Container,
    principal: Principal,
    link: ActionLink,
    action: str,
    fields: dict[str, str],
) -> None:
    """Hand the decision to the same use cases the JSON API calls."""
    uow, clock = container.uow(), container.clock
    rid = link.claims.request_id
    note = fields.get("note", "")
    if action == "unsubscribe":
        cmd = people_handlers.UpdatePerson(person_id=link.claims.person_id, never_contact=True)
        await people_handlers.update_person(cmd, uow, clock, principal)
        return
    assert rid is not None
    if action == "propose":
        expert_id = _uuid(fields.get("expert_id"))
        new = None
        if expert_id is None:
            if not fields.get("expert_email") or not fields.get("expert_name"):
                raise errors.InvalidInput("Choose someone you know, or give a name and an email.")
            new = h.NewExpert(fields["expert_email"], fields["expert_name"])
        await h.propose(
            h.Propose(request_id=rid, expert_id=expert_id, expert=new, note=note),
            uow,
            clock,
            principal,
        )
    elif action == "forward":
        connector = _uuid(fields.get("connector_id"))
        if connector is None:
            raise errors.InvalidInput("Choose who should answer instead.")
        await h.forward(rid, connector, note, uow, clock, principal)
    elif action == "decline":
        await h.decline(
            rid, _choice(DeclineReason, fields.get("reason")), note, uow, clock, principal
        )
    elif action == "accept":
        await h.accept(rid, note, uow, clock, principal)
    elif action == "feedback":
        await h.give_feedback(
            rid, _choice(Rating, fields.get("rating")), note, uow, clock, principal
        )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise errors.InvalidInput("That choice is not one we offered.") from None


def _choice(kind: type[DeclineReason] | type[Rating], value: str | None) -> Any:
    try:
        return kind(value or "")
    except ValueError:
        raise errors.InvalidInput("Please choose one of the options.") from None


async def _decision_page(
    container: Container, link: ActionLink, status: int = 200, error: str = ""
) -> HTMLResponse:
    ws, person_id = link.claims.workspace_id, link.claims.person_id
    async with container.uow(write=False) as uow:
        request = (
            await uow.requests.get(ws, link.claims.request_id) if link.claims.request_id else None
        )
        if request is None:
            return message(404, "This link does not work")
        people = await uow.people.get_many(ws, request.parties())
        connections = (
            await uow.connections.all_of(ws, person_id) if link.purpose is Purpose.CONNECTOR else []
        )
        known = await uow.people.get_many(ws, {c.other_id for c in connections})
        events = await uow.requests.events(ws, request.id)
    waiting = _waiting_for(request, link.purpose, person_id)
    if not waiting:
        return message(
            409 if status >= 400 else 200,
            "Nothing to decide here any more",
            f"This request is {STATE_TEXT[request.state]}. Thank you for your time.",
        )

    def who(pid: uuid.UUID | None) -> dict[str, str]:
        p = people.get(pid) if pid else None
        return {"name": p.name if p and p.name else "someone", "headline": p.headline if p else ""}

    ctx: dict[str, Any] = {
        "request": {"topic": request.topic, "message": request.message},
        "asker": who(request.asker_id),
        "connector": who(request.connector_id),
        "expert": who(request.expert_id),
        "error": error,
        "not_a_fit_label": "I don't know anyone suitable"
        if link.purpose is Purpose.CONNECTOR
        else "I'm not the right person",
    }
    if link.purpose is Purpose.CONNECTOR:
        parties = request.parties()
        suggested = {
            s.person.id
            for s in rank_suggestions(request, connections, known, container.clock.now(), 5)
        }
        candidates = sorted(
            (p for p in known.values() if p.id not in parties and p.reachable()),
            key=lambda p: (p.id not in suggested, p.name.casefold()),
        )
        ctx["candidates"] = [
            {"id": p.id, "name": p.name, "headline": p.headline, "suggested": p.id in suggested}
            for p in candidates
        ]
        ctx["forward_choices"] = ctx["candidates"] if request.hops < MAX_HOPS else []
        ctx["declined_reason"] = (
            REASON_TEXT.get(request.decline_reason.value, "")
            if request.decline_reason and request.declined_expert_ids
            else ""
        )
        return page("connector.html", status, **ctx)
    if link.purpose is Purpose.EXPERT:
        proposal = next(
            (e for e in reversed(events) if e.type == "intro_request.expert_proposed"), None
        )
        ctx["proposal_note"] = proposal.data.get("note", "") if proposal else ""
        return page("expert.html", status, **ctx)
    return page("asker.html", status, **ctx)


def _waiting_for(request: IntroRequest, purpose: Purpose, person_id: uuid.UUID) -> bool:
    if purpose is Purpose.CONNECTOR:
        return request.state is State.AWAITING_CONNECTOR and request.connector_id == person_id
    if purpose is Purpose.EXPERT:
        return request.state is State.AWAITING_EXPERT and request.expert_id == person_id
    return request.state is State.INTRODUCED and request.asker_id == person_id


# ---- development mailbox --------------------------------------------------------

_URL = re.compile(r"(https?://[^\s<>\"]+)")


@router.get("/dev/mailbox", response_class=HTMLResponse)
async def mailbox(request: Request) -> Response:
    """Emails the console transport captured; served only in development."""
    container = _container(request)
    if not container.settings.is_development:
        return message(404, "Not found")
    entries = []
    for entry in container.mailbox.entries():
        parts = [
            {"url": piece} if i % 2 else {"text": piece}
            for i, piece in enumerate(_URL.split(entry.email.text))
        ]
        entries.append({"email": entry.email, "received_at": entry.received_at, "parts": parts})
    return page("mailbox.html", entries=entries)
