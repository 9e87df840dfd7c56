"""Links that can no longer decide: the request moved on, the link expired, was
forged or was used for another decision. Each is a friendly page with the
right status, and nothing changes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from jose import jwt

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page, heading
from tests.e2e.pages.visits import link_row, link_rows, post
from tests.e2e.world import World, jwt_segment
from warmintro.api.container import Container
from warmintro.domain.action_links import Purpose
from warmintro.infra.settings import Settings
from warmintro.infra.tokens import ActionTokens

BLURB = ONE_SUGGESTION.blurb


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """33 forged links from one address: an attacker's guesses, past the limit on
    refused credentials (tests/e2e/rate_limits shows that limit)."""
    return settings.model_copy(update={"rate_limit_auth_failures_per_ip": ""})


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
    clock.advance(Purpose.CONNECTOR.lifetime + timedelta(seconds=1))
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
    ws, request_id = world.workspace.id, uuid.UUID(rid)
    # Genuinely signed with the app's key, but never issued (its hash is not stored).
    unissued, _ = ActionTokens(container.settings.secret_key, [], container.clock, purposes).mint(
        "connector", ws, uuid.UUID(cast.connector.id), request_id, timedelta(days=1)
    )
    other_key, _ = ActionTokens("k" * 40, [], container.clock, purposes).mint(
        "connector", ws, uuid.UUID(cast.connector.id), request_id, timedelta(days=1)
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
    assert_page(again, 200, "You have already answered", "did not work out this time")
    assert await world.events(rid) == events
    await mailroom.run()
    assert len([m for m in await mailroom.sent() if m.template == "asker_not_this_time"]) == 1
