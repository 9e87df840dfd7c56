"""Decisions through the pages behind email links, driven as people drive them: the
API opens an ask, the worker sends the email, and a credential-free visitor
follows the link in it. GET and HEAD only show (mail scanners fetch every link);
POST takes the decision."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION, TOPIC
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page, heading, options, selected
from tests.e2e.pages.visits import link_row, only_looks, post
from tests.e2e.world import World

BLURB = ONE_SUGGESTION.blurb


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
    assert selected(page, "expert_id") == cast.expert.id  # the top suggestion
    assert [v for v, _ in options(page, "connector_id")] == ["", cast.expert.id, cast.bystander.id]
    assert selected(page, "connector_id") == ""  # forwarding starts on nobody


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
    assert_page(
        r,
        200,
        world.workspace.name,
        "Thank you. We have asked Erin Expert",
        "If Erin Expert agrees, we will introduce them to Ada Asker by email and copy you",
    )
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
    assert_page(
        r,
        200,
        world.workspace.name,
        "You and Ada Asker are introduced",
        "We have emailed you both an introduction, copying Carl Connector.",
    )
    assert (await world.view(rid))["state"] == "introduced"
    intro = await mailroom.latest("introduction", cast.asker.id)
    assert "Erin Expert" in intro.email.text and "Happy to help" in intro.email.text

    # Some days later the asker is asked whether it helped.
    clock.advance(timedelta(days=3, minutes=1))
    feedback = await mailroom.latest("asker_feedback_ask", cast.asker.id)
    page = await only_looks(visitor, world, feedback.action_path, rid, "Carl Connector")
    assert heading(page) == "Did your introduction to Erin Expert help?"

    r = await post(visitor, feedback.action_path, action="feedback", rating="yes", note="Great")
    assert_page(r, 200, "We have passed your answer on to Carl Connector")
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

    assert_page(r, 200, "Thank you. We have asked Nina New")
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

    assert_page(r, 200, "We have passed it on to Erin Expert", "Ada Asker's request")
    view = await world.view(rid)
    assert (view["state"], view["connector_id"]) == ("awaiting_connector", cast.expert.id)
    passed = await mailroom.latest("connector_ask", cast.expert.id)
    assert "Over to you" in passed.email.text
    assert_page(await visitor.get(passed.action_path), 200, TOPIC, "Ask someone you know")


async def test_the_connector_declines_through_the_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    r = await post(visitor, ask.action_path, action="decline", reason="not_a_fit", note="sorry")

    assert_page(
        r,
        200,
        "Thank you for letting us know",
        "We will tell Ada Asker that it did not work out this time.",
        "Your reason and your note stay with us.",
    )
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

    assert_page(
        r,
        200,
        "Thank you for letting us know",
        "We will tell Carl Connector, so they can ask someone else.",
        "Ada Asker never learns that you were asked.",
    )
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
