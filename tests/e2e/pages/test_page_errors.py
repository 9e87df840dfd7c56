"""What goes wrong behind a link is answered with a page, and the link's token,
a credential, never reaches the log."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.e2e.cast import ONE_SUGGESTION
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.pages.visits import state
from tests.e2e.world import World
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.domain.use_cases import UseCases

TOKEN = "eyJ0eXAiOiJKV1Qi.a-link-token-is-a-credential.c2lnbmF0dXJl"


class Broken(UseCases):
    """The use cases failing as a bug would."""

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug behind the page")


async def test_a_crash_behind_a_link_is_a_page_and_the_token_stays_out_of_the_log(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    broken = replace(container, use_cases=Broken(container.use_cases.env))
    app = create_app(container=broken, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    caplog.set_level(logging.DEBUG, logger="warmintro")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as visitor:
        shown = await visitor.get(f"/a/{TOKEN}")
        posted = await visitor.post(f"/a/{TOKEN}", data={"action": "accept"})

    assert_page(shown, 500, "Something went wrong on our side")
    assert_page(posted, 500, "Something went wrong on our side")
    # What the service logs (the test client logs its own requests, URL and all).
    logged = "\n".join(
        logging.Formatter().format(r) for r in caplog.records if r.name.startswith("warmintro")
    )
    assert "a bug behind the page" in logged, "the error itself is logged"
    assert "/a/{token}" in logged
    assert TOKEN not in logged and "a-link-token" not in logged


def _form(**fields: str) -> dict[str, str]:
    return {"action": "decline", "reason": "busy", **fields}


URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}
BAD_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "a NUL in the note": (b"action=decline&reason=busy&note=%00", URLENCODED),
    "a raw NUL in the body": (b"action=decline&reason=busy&note=a\x00b", URLENCODED),
    "a NUL in a field's name": (b"action=decline&reason=busy&no%00te=x", URLENCODED),
    "a NUL in the action": (b"action=decl%00ine&reason=busy", URLENCODED),
    "escaped bytes that are not UTF-8": (b"action=decline&reason=busy&note=%ff%fe", URLENCODED),
    "raw bytes that are not UTF-8": (b"action=decline&reason=busy&note=\xff\xfe\xfd", URLENCODED),
    "a broken escape": (b"action=decline&reason=busy&note=100%zz%", URLENCODED),
    "a charset nobody knows": (
        b"action=decline&reason=busy",
        {"Content-Type": "application/x-www-form-urlencoded; charset=klingon"},
    ),
    "multipart without a boundary": (b"--x\r\nfoo", {"Content-Type": "multipart/form-data"}),
    "multipart cut short": (
        b'--b0\r\nContent-Disposition: form-data; name="note"\r\n\r\nhalf a no',
        {"Content-Type": "multipart/form-data; boundary=b0"},
    ),
    "multipart with a NUL": (
        b'--b0\r\nContent-Disposition: form-data; name="action"\r\n\r\ndecline\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="reason"\r\n\r\nbusy\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="note"\r\n\r\na\x00b\r\n--b0--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b0"},
    ),
    "multipart with bytes that are not UTF-8": (
        b'--b0\r\nContent-Disposition: form-data; name="action"\r\n\r\ndecline\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="reason"\r\n\r\nbusy\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="note"\r\n\r\n\xff\xfe\r\n--b0--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b0"},
    ),
    "a file where a note belongs": (
        b'--b0\r\nContent-Disposition: form-data; name="action"\r\n\r\ndecline\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="reason"\r\n\r\nbusy\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="note"; filename="x.txt"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--b0--\r\n",
        {"Content-Type": "multipart/form-data; boundary=b0"},
    ),
    "JSON": (b'{"action": "decline", "reason": "busy"}', {"Content-Type": "application/json"}),
    "a length that is no number": (b"action=decline", {**URLENCODED, "Content-Length": "x"}),
}


async def test_garbled_or_hostile_form_input_is_a_page_never_a_500(
    world: World,
    mailroom: Mailroom,
    visitor: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """NUL characters (which PostgreSQL cannot store), over-long fields, bodies no
    browser sends: each a 4xx page; nothing changes; no log line names the link."""
    caplog.set_level(logging.DEBUG)
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    path = (await mailroom.latest("connector_ask", cast.connector.id)).action_path
    before = await state(world, rid)
    nul_and_long: dict[str, dict[str, str]] = {
        "a NUL in the note": _form(note="\x00"),
        "a NUL in a new expert's name": {
            "action": "propose",
            "expert_name": "Ni\x00na",
            "expert_email": "nina@example.org",
        },
        "a NUL in a new expert's email": {
            "action": "propose",
            "expert_name": "Nina",
            "expert_email": "nina@example.org\x00",
        },
        "a note of 10,000 characters": _form(note="x" * 10_000),
        "a name of 10,000 characters": {
            "action": "propose",
            "expert_name": "N" * 10_000,
            "expert_email": "nina@example.org",
        },
        "an email of 10,000 characters": {
            "action": "propose",
            "expert_name": "Nina",
            "expert_email": "n" * 10_000 + "@example.org",
        },
        "a reason of 10,000 characters": _form(reason="busy" * 2_500),
    }
    answers = {name: await visitor.post(path, data=form) for name, form in nul_and_long.items()}
    for name, (body, headers) in BAD_BODIES.items():
        answers[name] = await visitor.post(path, content=body, headers=headers)

    failures = []
    for name, r in answers.items():
        try:
            assert 400 <= r.status_code < 500, f"status {r.status_code}"
            assert_page(r, r.status_code)
        except AssertionError as exc:
            failures.append(f"[{name}] {exc}")
    assert not failures, "\n".join(failures)
    too_much = await visitor.post(path, data=_form(note="x" * 300_000))
    assert_page(too_much, 413, "That was too much text", world.workspace.name)
    assert await state(world, rid) == before
    token = path.removeprefix("/a/")
    # What the service logs (the test client logs its own requests, URL and all).
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    leaked = [r.getMessage() for r in ours if token in r.getMessage()]
    assert not leaked, leaked
    # The link still takes a real decision; refused after that, the page still says
    # which community the link comes from.
    assert_page(await visitor.post(path, data=_form()), 200, world.workspace.name)
    r = await visitor.post(path, data={"action": "propose", "expert_id": cast.expert.id})
    assert_page(r, 409, "This link was used to decline already", world.workspace.name)


@pytest.mark.parametrize("path", ["/a/%00", "/a/%ff%fe", "/a/" + "x" * 5_000, "/a/a.b.c"])
async def test_a_garbled_link_is_a_404_page(visitor: httpx.AsyncClient, path: str) -> None:
    assert_page(await visitor.get(path), 404, "This link does not work")
    assert_page(await visitor.post(path, data={"action": "accept"}), 404)


async def test_a_nul_sent_to_an_unsubscribe_link_changes_nothing_and_says_why(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    path = (await mailroom.latest("connector_ask", cast.connector.id)).unsubscribe_path

    r = await visitor.post(path, content=b"List-Unsubscribe=One%00Click", headers=URLENCODED)

    assert_page(r, 422, "NUL", "Stop all emails to")
    person = (await world.api.get(f"/v1/people/{cast.connector.id}")).json()
    assert person["preferences"]["never_contact"] is False
