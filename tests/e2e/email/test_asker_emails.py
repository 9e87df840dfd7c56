"""What the asker receives, rendered by the relay from flows through the API: the
ask went to Cat, it was passed on (to whom), it did not work out, it expired, did it
help. Each links to the asker's status page, and none says a word about an expert
before the introduction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.clock import FakeClock
from tests.e2e.cast import TOPIC, TWO_SUGGESTIONS, Cast
from tests.e2e.mail import Mailroom, Sent, action_tokens, header
from tests.e2e.world import World
from warmintro.domain.action_links import Purpose
from warmintro.infra.email.compose import ago


async def to_asker(mailroom: Mailroom, c: Cast) -> list[Sent]:
    await mailroom.run()
    return await mailroom.sent(to=c.asker.email)


def words(sent: Sent) -> str:
    e = sent.email
    every = [e.subject, e.text, e.html, *(v for _, v in e.headers), *(v for _, v in e.tags)]
    return "\n".join(every).replace("&#39;", "'")


async def assert_links_to_the_status_page(
    mailroom: Mailroom, sent: Sent, c: Cast, rid: str
) -> None:
    [token] = action_tokens(sent.email.text)
    assert token in sent.email.html
    link = await mailroom.link(token)
    assert link.purpose is Purpose.ASKER
    assert (str(link.claims.person_id), str(link.claims.request_id)) == (c.asker.id, rid)
    unsubscribe = await mailroom.link(header(sent.email, "List-Unsubscribe").strip("<>"))
    assert str(unsubscribe.claims.person_id) == c.asker.id, "their own, and only theirs"


async def test_the_asker_hears_each_turn_and_nothing_of_the_experts_asked(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    proposal = {"expert_id": c.second_expert.id, "note": "Kim knows margins."}
    await world.do(rid, "propose", c.connector.id, proposal)
    await mailroom.run()
    await world.do(rid, "decline", c.second_expert.id, {"reason": "busy", "note": "Swamped."})
    await world.do(rid, "forward", c.connector.id, {"connector_id": c.bystander.id})
    await world.do(rid, "propose", c.bystander.id, {"expert_id": c.expert.id})
    await mailroom.run()
    await world.do(rid, "decline", c.expert.id, {"reason": "not_a_fit"})
    await world.do(rid, "decline", c.bystander.id, {"reason": "busy"})

    sent = await to_asker(mailroom, c)

    assert [s.template for s in sent] == [
        "asker_ask_sent",
        "asker_passed_on",
        "asker_not_this_time",
    ]
    ask_sent, passed_on, not_this_time = sent
    assert "Carl Connector" in ask_sent.email.subject and TOPIC in ask_sent.email.subject
    assert "Bob Gardener" in passed_on.email.subject and "Bob Gardener" in passed_on.email.html
    assert "did not work out" in not_this_time.email.text
    secrets = [c.expert, c.second_expert]
    for s in sent:
        await assert_links_to_the_status_page(mailroom, s, c, rid)
        assert s.email.text.startswith("Hi Ada,")
        text = words(s)
        for expert in secrets:
            for secret in (expert.name, expert.email, expert.id, expert.name.split()[0]):
                assert secret not in text, (s.template, secret)
        for secret in ("Head of pricing", "Kim knows margins.", "Swamped.", "declined"):
            assert secret not in text, (s.template, secret)
        assert s.email.cc == () and s.email.also_to == ()


async def test_an_ask_nobody_took_further_says_it_expired_in_its_own_words(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await mailroom.run()
    clock.advance(timedelta(days=5))

    *_, expired = await to_asker(mailroom, c)

    assert expired.template == "asker_expired"
    assert "expired" in expired.email.subject and TOPIC in expired.email.subject
    for text in (expired.email.text, expired.email.html):
        assert "nobody could take it further in time" in text
        assert "did not work out" not in text and "Not this time" not in text
    await assert_links_to_the_status_page(mailroom, expired, c, rid)


async def test_did_it_help_says_how_long_ago_the_introduction_was(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await world.do(rid, "accept", c.expert.id)
    await mailroom.run()
    clock.advance(timedelta(days=3, hours=2))

    *_, ask = await to_asker(mailroom, c)

    assert ask.template == "asker_feedback_ask"
    for text in (ask.email.text, ask.email.html):
        assert "3 days ago Carl Connector introduced you to" in text
        assert "few days" not in text
    await assert_links_to_the_status_page(mailroom, ask, c, rid)


def test_the_delay_reads_as_people_say_it() -> None:
    then = datetime(2026, 3, 1, 9, tzinfo=UTC)
    cases = {
        timedelta(hours=5): "today",
        timedelta(days=1, hours=2): "yesterday",
        timedelta(days=3): "3 days ago",
        timedelta(days=13): "13 days ago",
        timedelta(days=21): "3 weeks ago",
    }
    assert {d: ago(then, then + d) for d in cases} == cases


async def test_each_email_names_the_connector_of_its_turn_even_when_sent_later(
    world: World, mailroom: Mailroom
) -> None:
    """Emails are rendered when sent: one queued before a forward still names the
    connector the ask went to then."""
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "forward", c.connector.id, {"connector_id": c.bystander.id})

    ask_sent, passed_on = sorted(await to_asker(mailroom, c), key=lambda s: s.template)

    assert (ask_sent.template, passed_on.template) == ("asker_ask_sent", "asker_passed_on")
    assert "went to Carl Connector" in ask_sent.email.text
    assert "Bob Gardener" not in ask_sent.email.text
    assert "passed on to Bob Gardener" in passed_on.email.text
