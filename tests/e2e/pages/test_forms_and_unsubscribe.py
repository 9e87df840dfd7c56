"""Invalid form input is the decision page again with the problem said; the
unsubscribe link (RFC 8058 one-click) and its undo; and every page forbids framing
and referrers. The development mailbox: test_mailbox.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page, options
from tests.e2e.pages.visits import link_rows, post, state
from tests.e2e.world import World, assert_problem

BLURB = ONE_SUGGESTION.blurb


async def test_invalid_form_input_is_a_friendly_4xx_page_and_changes_nothing(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    path = ask.action_path
    before = await state(world, rid)

    cases: list[tuple[str, httpx.Response, int, str]] = [
        ("no action", await visitor.post(path, data={}), 400, "not something this link can do"),
        ("unknown action", await post(visitor, path, action="explode"), 400, ""),
        ("another purpose's action", await post(visitor, path, action="accept"), 400, ""),
        ("a JSON body", await visitor.post(path, json={"action": "decline"}), 400, ""),
        ("decline without a reason", await post(visitor, path, action="decline"), 422, ""),
        (
            "decline with an unknown reason",
            await post(visitor, path, action="decline", reason="bored"),
            422,
            "Please choose one of the options",
        ),
        ("propose nobody", await post(visitor, path, action="propose"), 422, "Choose someone"),
        (
            "propose a bad email",
            await post(
                visitor, path, action="propose", expert_name="Nina", expert_email="not-an-email"
            ),
            422,
            "not a valid email address",
        ),
        (
            "propose a name without an email",
            await post(visitor, path, action="propose", expert_name="Nina"),
            422,
            "",
        ),
        (
            "propose a garbled id",
            await post(visitor, path, action="propose", expert_id="12; drop table"),
            422,
            "",
        ),
        (
            "propose an unknown id",
            await post(visitor, path, action="propose", expert_id=str(uuid.uuid4())),
            422,
            "",
        ),
        (
            "propose the asker",
            await post(visitor, path, action="propose", expert_id=cast.asker.id),
            422,
            "",
        ),
        ("forward to nobody", await post(visitor, path, action="forward"), 422, "Choose who"),
        (
            "a note far too long",
            await post(visitor, path, action="decline", reason="busy", note="x" * 20_000),
            422,
            "",
        ),
    ]
    failures = []
    for name, r, status, text in cases:
        try:
            page = assert_page(r, status, *([text] if text else []))
            if status == 422:
                # The decision page again, with the problem said where the person looks.
                assert 'role="alert"' in r.text and "Ask someone you know" in page
        except AssertionError as exc:
            failures.append(f"[{name}] {exc}")
    assert not failures, "\n".join(failures)
    assert await state(world, rid) == before

    # The link still works for a real decision.
    r = await post(visitor, path, action="propose", expert_id=cast.expert.id)
    assert_page(r, 200, "Thank you")


async def test_malformed_or_oversized_bodies_get_a_page_not_json(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    """Whatever arrives at a page's address is answered with a page."""
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    cases = {
        "multipart without a boundary": await visitor.post(
            ask.action_path, content=b"--x\r\nfoo", headers={"Content-Type": "multipart/form-data"}
        ),
        "a body over the size limit": await post(
            visitor, ask.action_path, action="decline", reason="busy", note="x" * 300_000
        ),
    }
    failures = []
    for name, r in cases.items():
        try:
            assert 400 <= r.status_code < 500, r.status_code
            assert_page(r, r.status_code)
        except AssertionError as exc:
            failures.append(f"[{name}] {exc}")
    assert not failures, "\n".join(failures)
    assert (await world.view(rid))["state"] == "awaiting_connector"


async def test_invalid_feedback_shows_the_feedback_page_again(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient, clock: FakeClock
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    await world.do(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    await world.do(rid, "accept", cast.expert.id)
    clock.advance(timedelta(days=3, minutes=1))
    feedback = await mailroom.latest("asker_feedback_ask", cast.asker.id)

    for form in ({"action": "feedback"}, {"action": "feedback", "rating": "meh"}):
        r = await visitor.post(feedback.action_path, data=form)
        assert_page(r, 422, "Please choose one of the options", "Did it help?")
    assert (await world.view(rid))["state"] == "introduced"


async def test_the_unsubscribe_link_shows_then_one_click_stops_all_asks(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    assert dict(ask.email.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = ask.unsubscribe_path
    person = (await world.api.get(f"/v1/people/{cast.connector.id}")).json()

    before = await link_rows(world)
    assert_page(await visitor.get(path), 200, f"Stop all emails to {person['email']}?")
    assert_page(await visitor.head(path), 200)
    assert await link_rows(world) == before
    assert (await world.api.get(f"/v1/people/{cast.connector.id}")).json() == person

    # RFC 8058: the mail client posts exactly this body, nothing else.
    r = await visitor.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_page(
        r, 200, "You're unsubscribed", f"no more emails from {world.workspace.name}", "Undo"
    )
    after = (await world.api.get(f"/v1/people/{cast.connector.id}")).json()
    assert after["preferences"]["never_contact"] is True

    # Asking them again is refused, however it is tried.
    other_asker = await world.pid("Otto Asker")
    r = await world.api.post(
        "/v1/intro-requests",
        json={
            "asker_id": other_asker,
            "connector_id": cast.connector.id,
            "topic": "hiring",
            "message": "Who hires well?",
        },
    )
    assert_problem(r, 409, "recipient_unavailable")
    elsewhere = await world.ask(other_asker, cast.bystander.id, topic="hiring")
    r = await world.act(
        elsewhere["id"], "forward", cast.bystander.id, {"connector_id": cast.connector.id}
    )
    assert_problem(r, 409, "recipient_unavailable")

    # Unsubscribing again (the page's button, or a multipart one-click) stays a success.
    assert_page(await post(visitor, path, action="unsubscribe"), 200, "You're unsubscribed")
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    ).encode()
    r = await visitor.post(
        path, content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert_page(r, 200, "You're unsubscribed")


async def test_the_unsubscribe_page_knows_you_are_unsubscribed_and_offers_undo(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    path = (await mailroom.latest("connector_ask", cast.connector.id)).unsubscribe_path
    community = world.workspace.name

    async def never_contact() -> bool:
        person = (await world.api.get(f"/v1/people/{cast.connector.id}")).json()
        return bool(person["preferences"]["never_contact"])

    stopped = await post(visitor, path, action="unsubscribe")
    assert_page(stopped, 200, community, "You're unsubscribed", "Undo: email me again")
    assert 'value="resubscribe"' in stopped.text
    page = await visitor.get(path)
    assert_page(page, 200, f"You're not receiving emails from {community}", "Changed your mind?")
    assert await never_contact()

    undone = await post(visitor, path, action="resubscribe")
    assert_page(undone, 200, f"You will receive emails from {community} again", "Undo")
    assert 'value="unsubscribe"' in undone.text
    assert not await never_contact()
    assert_page(await visitor.get(path), 200, "Stop all emails to")

    # The mail client's one click unsubscribes whatever the page offered last.
    r = await visitor.post(path, data={"List-Unsubscribe": "One-Click"})
    assert_page(r, 200, "You're unsubscribed")
    assert await never_contact()


async def test_unsubscribing_an_expert_refuses_later_proposals(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    first = await world.ask(cast.bystander.id, cast.connector.id, topic="pricing for agencies")
    await world.do(first["id"], "propose", cast.connector.id, {"expert_id": cast.expert.id})
    consent = await mailroom.latest("expert_consent", cast.expert.id)
    r = await visitor.post(consent.unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert_page(r, 200, "You're unsubscribed")

    r = await world.act(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    assert_problem(r, 409, "recipient_unavailable")
    # Through the connector's page, the same refusal is a page, and Erin is no longer offered.
    ask = await mailroom.latest("connector_ask", cast.connector.id, rid)
    page = await post(visitor, ask.action_path, action="propose", expert_id=cast.expert.id)
    assert_page(page, 409, "opted out")
    assert cast.expert.id not in [v for v, _ in options(page.text, "expert_id")]


@pytest.mark.parametrize("path", ["/dev/mailbox", "/a/x"])
async def test_every_page_forbids_framing_and_referrers(
    visitor: httpx.AsyncClient, path: str
) -> None:
    # assert_page checks CSP frame-ancestors, Referrer-Policy and X-Frame-Options.
    r = await visitor.get(path)
    assert_page(r, r.status_code)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
