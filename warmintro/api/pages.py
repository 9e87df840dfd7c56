"""The pages behind email links.

`GET /a/{token}` (and HEAD) only shows: mail scanners fetch every link, so
nothing may change until the person presses a button, which POSTs to the same
address. A page parses the form, hands one command to the use cases and
renders the answer; statuses come from the one table in `problems.py`. The
links live in a small application of their own, mounted at `/a`, so that
whatever goes wrong there (a bad method, a body too large) is answered with a
page, never with JSON or a stack trace.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from warmintro.api.body_limit import refuse_declared_too_large
from warmintro.api.problems import status_of
from warmintro.domain import commands as cmd
from warmintro.domain import errors
from warmintro.domain.action_links import (
    UNSUBSCRIBE,
    Answered,
    AskerStatus,
    DecisionPage,
    LinkPage,
    NothingToDecide,
    Purpose,
    UnsubscribePage,
)
from warmintro.domain.intro_request import Action, DeclineReason, Rating, State
from warmintro.domain.use_cases import UseCases

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
    DeclineReason.BUSY: "too busy right now",
    DeclineReason.NOT_A_FIT: "not the right person",
    DeclineReason.NOT_NOW: "not the right time",
    DeclineReason.OTHER: "another reason",
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
    Action.PROPOSE: "Thank you. We have asked them; you will hear back either way.",
    Action.FORWARD: "Thank you. We have passed the request on.",
    Action.DECLINE: "Thank you for letting us know.",
    Action.ACCEPT: "Thank you! We have introduced you by email.",
    Action.FEEDBACK: "Thank you. We have passed your answer on.",
    Action.CANCEL: "Your ask is withdrawn. Whoever still had it is told.",
    UNSUBSCRIBE: "Done. You will receive no more emails from us.",
}
VERB: dict[str, str] = {Action.CANCEL: "withdraw the ask", Action.FEEDBACK: "say whether it helped"}
TEMPLATE = {Purpose.CONNECTOR: "connector.html", Purpose.EXPERT: "expert.html"}
# Refusals the person can fix on the same page; anything else is a page of its own.
FIXABLE = {
    errors.AskBudgetExceeded: "They have too many open requests right now. "
    "Try someone else, or ask them again in a few days.",
    errors.RecipientUnavailable: "That person cannot be asked: they opted out of these emails.",
}


def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = _env.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def message(status: int, heading: str, *paragraphs: str) -> HTMLResponse:
    return page("message.html", status, heading=heading, paragraphs=paragraphs)


# ---- the link pages -------------------------------------------------------------


def create_link_pages(use_cases: UseCases) -> FastAPI:
    """The application mounted at `/a`: one address per link, GET/HEAD to show, POST to act."""
    app = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_declared_too_large)],
    )
    app.state.use_cases = use_cases
    app.add_api_route("/{token}", show, methods=["GET", "HEAD"], response_class=HTMLResponse)
    app.add_api_route("/{token}", act, methods=["POST"], response_class=HTMLResponse)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _crash)
    return app


def _use_cases(request: Request) -> UseCases:
    use_cases: UseCases = request.app.state.use_cases
    return use_cases


async def show(token: str, request: Request) -> Response:
    try:
        view = await _use_cases(request)(cmd.ShowActionLink(token))
    except errors.DomainError as exc:
        return _refused(exc)
    return _render(view)


async def act(token: str, request: Request) -> Response:
    try:
        form = await request.form()
    except StarletteHTTPException:
        raise  # a body over the limit: answered by the handler below
    except Exception:  # a body no browser form sends: garbled multipart and the like
        return message(400, "That did not come from our form")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    use_cases = _use_cases(request)
    try:
        decision = _decision(fields)
        outcome = await use_cases(cmd.UseActionLink(token, decision))
    except (errors.InvalidInput, errors.AskBudgetExceeded, errors.RecipientUnavailable) as exc:
        text = FIXABLE.get(type(exc), exc.detail)
        return await _again(use_cases, token, status_of(exc), text)
    except errors.DomainError as exc:
        return _refused(exc)
    if outcome.repeated:
        return message(200, "You have already answered", DONE_TEXT[outcome.action])
    return message(200, "Done", DONE_TEXT[outcome.action])


def _decision(fields: dict[str, str]) -> cmd.Decision | cmd.Unsubscribe | None:
    """The form as a decision; None when it asks for nothing a link can do. RFC 8058
    one-click unsubscribe posts only "List-Unsubscribe=One-Click"."""
    action = fields.get("action") or (UNSUBSCRIBE if "List-Unsubscribe" in fields else "")
    if action == UNSUBSCRIBE:
        return cmd.Unsubscribe()
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
            if connector_id is None:
                raise errors.InvalidInput("Choose who should answer instead.")
            return cmd.Forward(connector_id=connector_id, note=note)
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


async def _again(use_cases: UseCases, token: str, status: int, error: str) -> Response:
    """The decision page once more, with what went wrong where the person looks."""
    try:
        view = await use_cases(cmd.ShowActionLink(token))
    except errors.DomainError as exc:
        return _refused(exc)
    return _render(view, status, error)


def _render(view: LinkPage, status: int = 200, error: str = "") -> HTMLResponse:
    # Shown again after a refused form, a link whose turn has passed says so (409).
    refused = status_of(errors.WrongState("decide", "")) if status >= 400 else 200
    match view:
        case UnsubscribePage(email=email, workspace=workspace):
            return page("unsubscribe.html", email=email, workspace=workspace)
        case Answered(action=action):
            return message(
                refused, "You have already answered", DONE_TEXT.get(action, "Thank you.")
            )
        case NothingToDecide(state=state):
            return message(
                refused,
                "Nothing to decide here any more",
                f"This request is {STATE_TEXT[state]}. Thank you for your time.",
            )
        case DecisionPage():
            return _decision_page(view, status, error)
        case AskerStatus():  # the asker's words for each state and step are the template's
            return page("asker.html", status, view=view, error=error, actions=view.actions)


def _decision_page(view: DecisionPage, status: int, error: str) -> HTMLResponse:
    connector = view.purpose is Purpose.CONNECTOR
    return page(
        TEMPLATE.get(view.purpose, "asker.html"),
        status,
        request={"topic": view.topic, "message": view.message},
        asker=view.asker,
        connector=view.connector,
        expert=view.expert,
        error=error,
        not_a_fit_label="I don't know anyone suitable" if connector else "I'm not the right person",
        candidates=view.candidates,
        forward_choices=view.candidates if Action.FORWARD in view.actions else (),
        declined_reason=REASON_TEXT[view.expert_declined] if view.expert_declined else "",
        proposal_note=view.proposal_note,
    )


def _refused(exc: errors.DomainError) -> HTMLResponse:
    """A link that cannot do what was asked, in words for the person holding it."""
    status = status_of(exc)
    match exc:
        case errors.LinkExpired():
            return message(
                status,
                "This link has expired",
                "Links in our emails work for a limited time. If you still want to help, "
                "reply to the email you received.",
            )
        case errors.NotFound():
            return message(
                status,
                "This link does not work",
                "Check that the whole link was copied from the email.",
            )
        case errors.LinkAlreadyUsed(used_for=used, asked=asked):
            return message(
                status,
                "You have already answered",
                f"This link was used to {VERB.get(used, used)} already, "
                f"so it cannot also {VERB.get(asked, asked)}.",
            )
        case errors.MovedOn():
            return message(
                status,
                "This request has moved on",
                "It is no longer waiting for your answer, so there is nothing more to decide here.",
            )
        case errors.WrongState(current_state=state):
            return message(
                status,
                "This request has moved on",
                f"It is now {STATE_TEXT.get(State(state), state)}, "
                "so there is nothing more to decide here.",
            )
        case errors.NotOffered():
            return message(status, "That is not something this link can do")
    return message(status, "That did not work", exc.detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 413:
        return message(413, "That was too much text")
    return message(exc.status_code, "That did not work", str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    # Starlette raises the error on after this page is sent; the application's own
    # handler logs it once, by route and never by path (the path is the token).
    return message(500, "Something went wrong on our side", "Please try again in a moment.")
