"""The pages behind email links, driven as people drive them: the API opens an ask,
the worker sends the email, and a credential-free client follows the link in it.

GET and HEAD only show (mail scanners fetch every link); POST takes the decision;
every failure is a friendly page with the right status and the security headers.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from jose import jwt

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION, TOPIC
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page, heading, options
from tests.e2e.world import World, assert_problem, jwt_segment
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra.action_links import TTL, Purpose, token_hash
from warmintro.infra.settings import Settings
from warmintro.infra.tables import action_links
from warmintro.infra.tokens import ActionTokens

BLURB = ONE_SUGGESTION.blurb


async def link_rows(world: World) -> list[Any]:
    async with world.container.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(action_links).where(action_links.c.workspace_id == world.workspace.id)
        )
        return sorted((tuple(r) for r in rows), key=repr)


async def link_row(world: World, path: str) -> Any:
    async with world.container.engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(action_links).where(
                    action_links.c.workspace_id == world.workspace.id,
                    action_links.c.token_hash == token_hash(path.removeprefix("/a/")),
                )
            )
        ).one()


async def state(world: World, request_id: str) -> tuple[Any, ...]:
    """Everything a decision would touch: the request, its timeline, its outbox rows,
    and every action link of the workspace (with used_at)."""
    view, events = await world.snapshot(request_id)
    outbox_rows = sorted((tuple(r) for r in await world.mail.rows(request_id)), key=repr)
    return view, events, outbox_rows, await link_rows(world)


async def only_looks(
    visitor: httpx.AsyncClient, world: World, path: str, request_id: str, *texts: str
) -> str:
    """GET (twice) and HEAD the link: a page each time, and nothing changes."""
    before = await state(world, request_id)
    r = await visitor.get(path)
    assert_page(r, 200, *texts)
    assert_page(await visitor.get(path), 200, *texts)
    assert_page(await visitor.head(path), 200)
    assert await state(world, request_id) == before
    return r.text


async def post(visitor: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    return await visitor.post(path, data=form)


# ---- reading a link changes nothing ----------------------------------------------


async def test_get_and_head_of_the_connectors_link_show_the_ask_and_change_nothing(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    mail = await mailroom.latest("connector_ask", cast.connector.id)

    page = await only_looks(
        visitor, world, mail.action_path, rid, "Ada Asker", "Founder", TOPIC, BLURB
    )

    assert heading(page) == f"Do you know someone for “{TOPIC}”?"
    assert (await link_row(world, mail.action_path)).used_at is None
    assert (await world.view(rid))["state"] == "awaiting_connector"
    assert [e["type"] for e in await world.events(rid)] == ["intro_request.created"]


async def test_the_connectors_page_lists_their_connections_suggested_first(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    opted_out = await world.pid("Olga Optedout", preferences={"never_contact": True})
    await world.connect(cast.connector.id, opted_out)
    await world.connect(cast.connector.id, cast.asker.id)  # a party is never a candidate
    mail = await mailroom.latest("connector_ask", cast.connector.id)

    page = (await visitor.get(mail.action_path)).text

    # Amy sorts before Erin by name, but Erin matches the topic and is suggested.
    assert options(page, "expert_id") == [
        ("", "Choose…"),
        (cast.expert.id, "Erin Expert (Pricing lead) · suggested"),
        (cast.bystander.id, "Amy Gardener"),
    ]
    assert [v for v, _ in options(page, "connector_id")] == [cast.expert.id, cast.bystander.id]


# ---- decisions -----------------------------------------------------------------


async def test_a_whole_introduction_through_the_pages(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient, clock: FakeClock
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    # The connector names the expert from their connections.
    r = await post(
        visitor, ask.action_path, action="propose", expert_id=cast.expert.id, note="Erin priced X"
    )
    assert_page(r, 200, "Thank you. We have asked them")
    view = await world.view(rid)
    assert view["state"] == "awaiting_expert"
    assert view["expert_id"] == cast.expert.id
    assert (await link_row(world, ask.action_path)).used_action == "propose"

    # The expert's page shows who asks, what, the connector's note; reading changes nothing.
    consent = await mailroom.latest("expert_consent", cast.expert.id)
    page = await only_looks(
        visitor, world, consent.action_path, rid, "Carl Connector", "Erin priced X", BLURB
    )
    assert heading(page) == f"Would you talk to Ada Asker about “{TOPIC}”?"

    r = await post(visitor, consent.action_path, action="accept", note="Happy to help")
    assert_page(r, 200, "We have introduced you by email")
    assert (await world.view(rid))["state"] == "introduced"
    intro = await mailroom.latest("introduction", cast.asker.id)
    assert "Erin Expert" in intro.email.text and "Happy to help" in intro.email.text

    # Some days later the asker is asked whether it helped.
    clock.advance(timedelta(days=3, minutes=1))
    feedback = await mailroom.latest("asker_feedback_ask", cast.asker.id)
    page = await only_looks(visitor, world, feedback.action_path, rid, "Carl Connector")
    assert heading(page) == "Did your introduction to Erin Expert help?"

    r = await post(visitor, feedback.action_path, action="feedback", rating="yes", note="Great")
    assert_page(r, 200, "We have passed your answer on")
    assert (await world.view(rid))["state"] == "completed"
    thanks = await mailroom.latest("connector_thank_you", cast.connector.id)
    assert "Great" in thanks.email.text

    # Used links: reading says so, the same decision again is its outcome, another is refused;
    # none of it records an event or sends an email.
    events = await world.events(rid)
    sent = len(await mailroom.sent())
    assert_page(await visitor.get(ask.action_path), 200, "You have already answered")
    for path, form in (
        (ask.action_path, {"action": "propose", "expert_id": cast.expert.id}),
        (consent.action_path, {"action": "accept"}),
        (feedback.action_path, {"action": "feedback", "rating": "yes"}),
    ):
        assert_page(await post(visitor, path, **form), 200, "You have already answered")
    r = await post(visitor, consent.action_path, action="decline", reason="busy")
    assert_page(r, 409, "You have already answered", "cannot also decline")
    r = await post(visitor, ask.action_path, action="decline", reason="busy")
    assert_page(r, 409, "You have already answered")
    assert await world.events(rid) == events
    assert (await world.view(rid))["state"] == "completed"
    await mailroom.run()
    assert len(await mailroom.sent()) == sent


async def test_proposing_someone_new_by_name_and_email_asks_them(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    email = f"nina-{uuid.uuid4().hex[:6]}@example.org"

    r = await post(
        visitor, ask.action_path, action="propose", expert_name="Nina New", expert_email=email
    )

    assert_page(r, 200, "Thank you. We have asked them")
    view = await world.view(rid)
    assert view["state"] == "awaiting_expert"
    person = (await world.api.get(f"/v1/people/{view['expert_id']}")).json()
    assert (person["name"], person["email"]) == ("Nina New", email)
    consent = await mailroom.latest("expert_consent", view["expert_id"])
    assert consent.email.to.email == email


async def test_the_connector_forwards_through_the_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    r = await post(
        visitor, ask.action_path, action="forward", connector_id=cast.expert.id, note="Over to you"
    )

    assert_page(r, 200, "We have passed the request on")
    view = await world.view(rid)
    assert (view["state"], view["connector_id"]) == ("awaiting_connector", cast.expert.id)
    passed = await mailroom.latest("connector_ask", cast.expert.id)
    assert "Over to you" in passed.email.text
    assert_page(await visitor.get(passed.action_path), 200, TOPIC, "Name someone")


async def test_the_connector_declines_through_the_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    r = await post(visitor, ask.action_path, action="decline", reason="not_a_fit", note="sorry")

    assert_page(r, 200, "Thank you for letting us know")
    assert (await world.view(rid))["state"] == "declined"
    await mailroom.latest("asker_not_this_time", cast.asker.id)
    assert_page(await visitor.get(ask.action_path), 200, "You have already answered")


async def test_the_expert_declines_and_the_connector_hears_why(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    await world.do(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    consent = await mailroom.latest("expert_consent", cast.expert.id)

    r = await post(visitor, consent.action_path, action="decline", reason="busy", note="Q3")

    assert_page(r, 200, "Thank you for letting us know")
    view = await world.view(rid)
    assert (view["state"], view["expert_id"]) == ("awaiting_connector", None)
    again = await mailroom.latest("connector_expert_declined", cast.connector.id)
    page = assert_page(
        await visitor.get(again.action_path), 200, "The last person you named declined"
    )
    assert "too busy right now" in page
    # Erin said no: she is not offered again.
    assert cast.expert.id not in [
        v for v, _ in options((await visitor.get(again.action_path)).text, "expert_id")
    ]


# ---- links that can no longer decide ---------------------------------------------


async def test_a_request_the_asker_cancelled_has_nothing_left_to_decide(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    await world.do(rid, "cancel", cast.asker.id)
    events = await world.events(rid)

    assert_page(
        await visitor.get(ask.action_path),
        200,
        "Nothing to decide here any more",
        "withdrawn by the asker",
    )
    for form in (
        {"action": "propose", "expert_id": cast.expert.id},
        {"action": "propose", "expert_name": "Nina", "expert_email": "nina@example.org"},
        {"action": "forward", "connector_id": cast.expert.id},
        {"action": "decline", "reason": "busy"},
    ):
        r = await post(visitor, ask.action_path, **form)
        assert_page(r, 409, "This request has moved on", "withdrawn by the asker")
    assert await world.events(rid) == events
    assert (await link_row(world, ask.action_path)).used_at is None


async def test_an_expert_link_after_the_asker_cancelled_is_a_409_naming_the_state(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    await world.do(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    consent = await mailroom.latest("expert_consent", cast.expert.id)
    await world.do(rid, "cancel", cast.asker.id)

    assert_page(await visitor.get(consent.action_path), 200, "Nothing to decide here any more")
    r = await post(visitor, consent.action_path, action="accept")
    assert_page(r, 409, "This request has moved on", "withdrawn by the asker")
    assert (await world.view(rid))["state"] == "cancelled"


async def test_a_request_passed_to_someone_else_has_moved_on_for_the_old_link(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    """The connector's genuine link, after the ask went elsewhere (here through the API):
    the page says there is nothing left to decide, and a decision says the request moved
    on; "this link does not work" would send them hunting for a copying mistake."""
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    await world.do(rid, "forward", cast.connector.id, {"connector_id": cast.bystander.id})

    assert_page(await visitor.get(ask.action_path), 200, "Nothing to decide here any more")
    r = await post(visitor, ask.action_path, action="propose", expert_id=cast.expert.id)
    assert_page(r, 409, "This request has moved on")
    view = await world.view(rid)
    assert (view["state"], view["connector_id"]) == ("awaiting_connector", cast.bystander.id)


async def test_invalid_input_on_a_request_that_moved_on_is_still_refused_with_a_4xx(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    await world.do(rid, "cancel", cast.asker.id)

    for form in (
        {"action": "decline", "reason": "bored"},
        {"action": "propose", "expert_name": "Nina", "expert_email": "not-an-email"},
    ):
        r = await post(visitor, ask.action_path, **form)
        assert 400 <= r.status_code < 500, f"{form}: {r.status_code} {heading(r.text)}"
        assert_page(r, r.status_code, "withdrawn by the asker")
    assert (await link_row(world, ask.action_path)).used_at is None


async def test_an_expired_link_is_a_friendly_410(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient, clock: FakeClock
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    clock.advance(TTL[Purpose.CONNECTOR] + timedelta(seconds=1))
    before = await link_rows(world)

    assert_page(await visitor.get(ask.action_path), 410, "This link has expired")
    assert_page(await visitor.head(ask.action_path), 410)
    r = await post(visitor, ask.action_path, action="propose", expert_id=cast.expert.id)
    assert_page(r, 410, "This link has expired")
    assert await link_rows(world) == before


async def test_forged_garbled_and_unknown_tokens_are_a_404_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient, container: Container
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    token = ask.action_path.removeprefix("/a/")
    header, payload, signature = token.split(".")
    purposes = [p.value for p in Purpose]
    ws, rid = world.workspace.id, uuid.UUID(rid)
    # Genuinely signed with the app's key, but never issued (its hash is not stored).
    unissued, _ = ActionTokens(container.settings.secret_key, [], container.clock, purposes).mint(
        "connector", ws, uuid.UUID(cast.connector.id), rid, timedelta(days=1)
    )
    other_key, _ = ActionTokens("k" * 40, [], container.clock, purposes).mint(
        "connector", ws, uuid.UUID(cast.connector.id), rid, timedelta(days=1)
    )
    # Someone else's claims under the genuine signature of the original token.
    claims = dict(jwt.get_unverified_claims(token), sub=cast.asker.id)
    swapped = jwt.encode(claims, "guess", algorithm="HS256").split(".")[1]
    bad_sig = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    none_header = jwt_segment(
        {"alg": "none", "typ": "JWT", "kid": jwt.get_unverified_header(token)["kid"]}
    )
    forged = {
        "garbled": "not-a-token",
        "three dots": "a.b.c",
        "tampered signature": f"{header}.{payload}.{bad_sig}",
        "payload swapped": f"{header}.{swapped}.{signature}",
        "alg none": f"{none_header}.{payload}.",
        "no signature": f"{header}.{payload}.",
        "other secret": other_key,
        "member token": await world.token(cast.connector.id),
        "non-ascii": "tökén",
        "very long": "x" * 4000,
        "valid signature, not issued": unissued,
    }
    before = await link_rows(world)
    for name, bad in forged.items():
        path = f"/a/{bad}"
        for r in (
            await visitor.get(path),
            await visitor.head(path),
            await post(visitor, path, action="propose", expert_id=cast.expert.id),
        ):
            try:
                assert_page(r, 404)
                if r.request.method != "HEAD":
                    assert heading(r.text) == "This link does not work"
            except AssertionError as exc:
                raise AssertionError(f"[{name}] {r.request.method}: {exc}") from None
    assert await link_rows(world) == before
    assert (await world.view(rid))["state"] == "awaiting_connector"


async def test_a_link_used_with_one_decision_refuses_another_with_a_409_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    assert_page(await post(visitor, ask.action_path, action="decline", reason="busy"), 200)
    events = await world.events(rid)

    r = await post(visitor, ask.action_path, action="propose", expert_id=cast.expert.id)
    assert_page(r, 409, "This link was used to decline already")
    again = await post(visitor, ask.action_path, action="decline", reason="busy")
    assert_page(again, 200, "You have already answered", "Thank you for letting us know")
    assert await world.events(rid) == events
    await mailroom.run()
    assert len([m for m in await mailroom.sent() if m.template == "asker_not_this_time"]) == 1


# ---- invalid form input ----------------------------------------------------------


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
                assert 'role="alert"' in r.text and "Name someone" in page
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


# ---- unsubscribe -----------------------------------------------------------------


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
    assert_page(r, 200, "You will receive no more emails from us")
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
    assert_page(await post(visitor, path, action="unsubscribe"), 200, "Done")
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    ).encode()
    r = await visitor.post(
        path, content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert_page(r, 200, "Done")


async def test_unsubscribing_an_expert_refuses_later_proposals(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    first = await world.ask(cast.bystander.id, cast.connector.id, topic="pricing for agencies")
    await world.do(first["id"], "propose", cast.connector.id, {"expert_id": cast.expert.id})
    consent = await mailroom.latest("expert_consent", cast.expert.id)
    r = await visitor.post(consent.unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert_page(r, 200, "Done")

    r = await world.act(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    assert_problem(r, 409, "recipient_unavailable")
    # Through the connector's page, the same refusal is a page, and Erin is no longer offered.
    ask = await mailroom.latest("connector_ask", cast.connector.id, rid)
    page = await post(visitor, ask.action_path, action="propose", expert_id=cast.expert.id)
    assert_page(page, 409, "opted out")
    assert cast.expert.id not in [v for v, _ in options(page.text, "expert_id")]


# ---- the development mailbox ---------------------------------------------------


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

    settings = Settings(
        database_url=database_url,
        environment="production",
        secret_key=secrets.token_urlsafe(30)[:40],
        _env_file=None,
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


@pytest.mark.parametrize("path", ["/dev/mailbox", "/a/x"])
async def test_every_page_forbids_framing_and_referrers(
    visitor: httpx.AsyncClient, path: str
) -> None:
    # assert_page checks CSP frame-ancestors, Referrer-Policy and X-Frame-Options.
    r = await visitor.get(path)
    assert_page(r, r.status_code)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
