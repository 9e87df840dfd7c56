"""One introduction, and unsubscribe links that only ever unsubscribe their own
recipient (the API contract): the introduction goes To the asker and the expert with the
connector in Cc and carries nobody's link; every email to one person carries that
person's RFC 8058 link. Regression: the connector in Cc of an introduction could
once unsubscribe the asker."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.cast import TWO_SUGGESTIONS, Cast
from tests.e2e.mail import Mailroom, Sent
from tests.e2e.world import World
from warmintro.domain.action_links import Purpose


async def introduced(world: World, c: Cast) -> str:
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id, "note": "Why her"})
    await world.do(rid, "accept", c.expert.id, {"note": "Gladly"})
    return rid


async def opt_out(world: World, person_id: str, never: bool = True) -> None:
    r = await world.api.patch(
        f"/v1/people/{person_id}", json={"preferences": {"never_contact": never}}
    )
    assert r.status_code == 200, r.text


async def opted_out(world: World, c: Cast) -> set[str]:
    out = set()
    for p in c.everyone():
        person = (await world.api.get(f"/v1/people/{p.id}")).json()
        if person["preferences"]["never_contact"]:
            out.add(p.id)
    return out


def unsubscribe_headers(sent: Sent) -> list[str]:
    return [k for k, _ in sent.email.headers if k.lower().startswith("list-unsubscribe")]


async def test_an_asker_who_opted_out_is_left_out_and_the_rest_are_introduced(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    await opt_out(world, c.asker.id)
    rid = await introduced(world, c)
    await mailroom.run()

    intro = await mailroom.one("introduction", request_id=rid)
    e = intro.email
    assert [a.email for a in (e.to, *e.also_to)] == [c.expert.email]
    assert [a.email for a in e.cc] == [c.connector.email]
    assert e.text.startswith("Hi Jane,")
    assert c.asker.email in e.text, "the expert can still write to the asker"
    assert unsubscribe_headers(intro) == [], "two recipients: nobody's link"


async def test_an_introduction_left_with_one_reachable_person_is_theirs_alone(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await introduced(world, c)
    await opt_out(world, c.expert.id)
    await opt_out(world, c.connector.id)
    await mailroom.run()

    intro = await mailroom.one("introduction", request_id=rid)
    assert (intro.to, intro.email.also_to, intro.email.cc) == (c.asker.email, (), ())
    link = await mailroom.link(dict(intro.email.headers)["List-Unsubscribe"].strip("<>"))
    assert str(link.claims.person_id) == c.asker.id


async def test_with_nobody_reachable_in_to_no_introduction_goes_to_the_connector_alone(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await introduced(world, c)
    await opt_out(world, c.asker.id)
    await opt_out(world, c.expert.id)
    await mailroom.run()

    assert await mailroom.sent("introduction", request_id=rid) == []
    [row] = await mailroom.rows(rid, "introduction")
    assert row.status == "skipped"


async def test_unsubscribing_from_any_email_changes_only_the_person_it_was_addressed_to(
    world: World, mailroom: Mailroom, clock: FakeClock, visitor: httpx.AsyncClient
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.second_expert.id})
    await world.do(rid, "decline", c.second_expert.id, {"reason": "busy"})
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()
    clock.advance(timedelta(days=4))  # the expert's reminder
    await mailroom.run()
    await world.do(rid, "accept", c.expert.id)
    clock.advance(timedelta(days=3))  # did it help?
    await mailroom.run()
    await world.do(rid, "feedback", c.asker.id, {"rating": "yes"})
    expired = await c.ask(world, topic="hiring a first salesperson")
    await world.do(expired, "forward", c.connector.id, {"connector_id": c.bystander.id})
    await mailroom.run()
    clock.advance(timedelta(days=5))
    await mailroom.run()

    sent = await mailroom.sent()
    assert len({s.template for s in sent}) >= 10, [s.template for s in sent]
    [intro] = [s for s in sent if s.template == "introduction"]
    assert intro.email.cc and intro.email.also_to
    assert unsubscribe_headers(intro) == []
    assert not [u for u in intro.urls() if "/a/" in u], "the introduction carries no link"

    for s in sent:
        if s.template == "introduction":
            continue
        unsubscribes = []
        for url in s.urls():
            if "/a/" in url and (await mailroom.link(url)).purpose is Purpose.UNSUBSCRIBE:
                unsubscribes.append(url)
        assert unsubscribes, s.template
        for url in unsubscribes:
            # RFC 8058: the mail client posts one click; then the footer's page, by hand.
            path = url.split("://", 1)[1].partition("/")[2]
            r = await visitor.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})
            assert r.status_code == 200, (s.template, r.text)
            assert await opted_out(world, c) == {s.recipient_id}, s.template
            await opt_out(world, s.recipient_id, never=False)
