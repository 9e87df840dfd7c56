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

import math
import uuid
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from warmintro.api.body_limit import refuse_declared_too_large
from warmintro.api.link_forms import GarbledForm, decision, read_form
from warmintro.api.link_messages import DONE_TEXT, STATE_TEXT, what_happens_next, why_not
from warmintro.api.problems import (
    DATABASE_ERRORS,
    UNAVAILABLE_RETRY_AFTER,
    database_out_of_reach,
    status_of,
)
from warmintro.domain import commands as cmd
from warmintro.domain import errors
from warmintro.domain.action_links import (
    RESUBSCRIBE,
    UNSUBSCRIBE,
    Answered,
    AskerStatus,
    DecisionPage,
    LinkOutcome,
    LinkPage,
    NothingToDecide,
    Purpose,
    UnsubscribePage,
)
from warmintro.domain.intro_request import Action, DeclineReason
from warmintro.domain.use_cases import UseCases

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

# What a page may load and where it may go; the headers every response carries
# (no-store, no-referrer, DENY framing, nosniff) come from `security_headers`.
CONTENT_POLICY = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
REASON_TEXT = {
    DeclineReason.BUSY: "too busy right now",
    DeclineReason.NOT_A_FIT: "not the right person",
    DeclineReason.NOT_NOW: "not the right time",
    DeclineReason.OTHER: "another reason",
    DeclineReason.NO_ANSWER: "no answer in time",
}
TEMPLATE = {Purpose.CONNECTOR: "connector.html", Purpose.EXPERT: "expert.html"}
# Refusals the person can fix on the same page; anything else is a page of its own.
FIXABLE = {
    errors.AskBudgetExceeded: "They have too many open requests right now. "
    "Try someone else, or ask them again in a few days.",
    errors.RecipientUnavailable: "That person cannot be asked: they opted out of these emails.",
}


def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = _env.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status, headers=CONTENT_POLICY)


def message(status: int, heading: str, *paragraphs: str, workspace: str = "") -> HTMLResponse:
    """A page that only says something; `workspace` names the community it comes from."""
    return page("message.html", status, heading=heading, paragraphs=paragraphs, workspace=workspace)


def too_many_requests(retry_after: int) -> HTMLResponse:
    """A link opened too often from one address (or after too many guessed links)."""
    wait = (
        "a moment"
        if retry_after <= 5
        else f"{retry_after} seconds"
        if retry_after < 90
        else f"{math.ceil(retry_after / 60)} minutes"
    )
    response = message(
        429,
        "Too many requests",
        f"Too many links were opened from your connection. Please wait {wait} "
        "and open the link in the email again.",
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


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
    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _crash)
    return app


def _use_cases(request: Request) -> UseCases:
    use_cases: UseCases = request.app.state.use_cases
    return use_cases


async def show(token: str, request: Request) -> Response:
    try:
        view = await _use_cases(request)(_showing(token, request))
    except errors.DomainError as exc:
        return _refused(exc)
    return _render(view, address=request.url.path)


def _showing(token: str, request: Request) -> cmd.ShowActionLink:
    """The page as the link's query asks for it: `expert` (a suggestion's own link)
    and `q` (a search). Anything garbled there is ignored: it is only a view."""
    params = request.query_params
    try:
        expert_id = uuid.UUID(params.get("expert", ""))
    except ValueError:
        expert_id = None
    return cmd.ShowActionLink(token, expert_id=expert_id, query=params.get("q", ""))


async def act(token: str, request: Request) -> Response:
    use_cases = _use_cases(request)
    try:
        chosen = decision(await read_form(request))
        outcome = await use_cases(cmd.UseActionLink(token, chosen))
    except GarbledForm:
        return message(
            400,
            "That did not come from our form",
            "Please open the link in the email again and use the buttons on its page.",
        )
    except (errors.InvalidInput, errors.AskBudgetExceeded, errors.RecipientUnavailable) as exc:
        text = FIXABLE.get(type(exc), exc.detail)
        showing = _showing(token, request)
        return await _again(use_cases, showing, status_of(exc), text, request.url.path)
    except errors.DomainError as exc:
        return _refused(exc, await _workspace_of(use_cases, token))
    return _done(outcome)


def _done(outcome: LinkOutcome) -> HTMLResponse:
    if outcome.action in (UNSUBSCRIBE, RESUBSCRIBE):
        return page(
            "unsubscribe.html",
            email="",
            workspace=outcome.workspace,
            unsubscribed=outcome.action == UNSUBSCRIBE,
            changed=True,
            deliverable=outcome.deliverable,
            error="",
        )
    heading, paragraphs = what_happens_next(outcome)
    if outcome.repeated:
        heading = "You have already answered"
    return message(200, heading, *paragraphs, workspace=outcome.workspace)


async def _workspace_of(use_cases: UseCases, token: str) -> str:
    """The workspace a refused link belongs to, when the link itself is sound."""
    try:
        return (await use_cases(cmd.ShowActionLink(token))).workspace
    except errors.DomainError:
        return ""


async def _again(
    use_cases: UseCases, showing: cmd.ShowActionLink, status: int, error: str, address: str
) -> Response:
    """The decision page once more, with what went wrong where the person looks."""
    try:
        view = await use_cases(showing)
    except errors.DomainError as exc:
        return _refused(exc)
    return _render(view, status, error, address)


def _render(view: LinkPage, status: int = 200, error: str = "", address: str = "") -> HTMLResponse:
    # Shown again after a refused form, a link whose turn has passed says so (409).
    refused = status_of(errors.WrongState("decide", "")) if status >= 400 else 200
    match view:
        case UnsubscribePage(email=email, workspace=workspace, unsubscribed=unsubscribed):
            return page(
                "unsubscribe.html",
                status,
                email=email,
                workspace=workspace,
                unsubscribed=unsubscribed,
                changed=False,
                deliverable=True,
                error=error,
            )
        case Answered(action=action, workspace=workspace):
            return message(
                refused,
                "You have already answered",
                DONE_TEXT.get(action, "Thank you."),
                workspace=workspace,
            )
        case NothingToDecide(state=state, workspace=workspace):
            return message(
                refused,
                "Nothing to decide here any more",
                f"This request is {STATE_TEXT[state]}. Thank you for your time.",
                workspace=workspace,
            )
        case DecisionPage():
            return _decision_page(view, status, error, address)
        case AskerStatus():  # the asker's words for each state and step are the template's
            return page("asker.html", status, view=view, error=error, actions=view.actions)


def _decision_page(view: DecisionPage, status: int, error: str, address: str) -> HTMLResponse:
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
        can_forward=Action.FORWARD in view.actions,
        declined_reason=REASON_TEXT[view.expert_declined] if view.expert_declined else "",
        no_answer=view.expert_declined is DeclineReason.NO_ANSWER,
        proposal_note=view.proposal_note,
        target=view.target,
        target_suggested=view.target_suggested,
        asked_for_by_name=view.asked_for_by_name,
        chosen=view.chosen,
        preselected=view.preselected,
        query=view.query,
        unlisted=view.unlisted,
        unlisted_over=view.unlisted_over,
        address=address,
        workspace=view.workspace,
    )


def _refused(exc: errors.DomainError, workspace: str = "") -> HTMLResponse:
    """A link that cannot do what was asked, in words for the person holding it (and
    the community it comes from, when the link is sound enough to say)."""
    heading, paragraphs = why_not(exc)
    return message(status_of(exc), heading, *paragraphs, workspace=workspace)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    token = request.path_params.get("token")
    workspace = await _workspace_of(_use_cases(request), token) if token else ""
    if exc.status_code == 413:
        return message(
            413,
            "That was too much text",
            "Please shorten your note and send it again.",
            workspace=workspace,
        )
    return message(exc.status_code, "That did not work", str(exc.detail), workspace=workspace)


async def _database_error(request: Request, exc: Exception) -> Response:
    if not database_out_of_reach(request, exc):
        raise exc  # a bug, not an outage: the crash page below, and its log line
    response = message(
        503,
        "We cannot answer right now",
        "Please try again in a minute, with the same link.",
    )
    response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER
    return response


async def _crash(request: Request, exc: Exception) -> Response:
    # Starlette raises the error on after this page is sent; the application's own
    # handler logs it once, by route and never by path (the path is the token).
    return message(500, "Something went wrong on our side", "Please try again in a moment.")
