"""What the List-Unsubscribe header promises: one click, and no more email."""

from __future__ import annotations

from tests.e2e.cast import TWO_SUGGESTIONS
from tests.e2e.mail import Mailroom, header
from tests.e2e.world import World


async def test_one_click_unsubscribe_stops_the_mail_already_queued_for_that_person(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    first = await c.ask(world)
    await mailroom.run()
    sent = await mailroom.one("connector_ask", request_id=first)
    second = await c.ask(world, topic="hiring a first salesperson")  # queued, not yet sent

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL
    token = header(sent.email, "List-Unsubscribe").strip("<>").rsplit("/a/", 1)[1]
    r = await world.api.post(f"/a/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text
    person = (await world.api.get(f"/v1/people/{c.connector.id}")).json()
    assert person["preferences"]["never_contact"] is True

    await mailroom.run()
    # Nothing more reaches them; the asks waiting on them move on at once, and the
    # asker hears the neutral outcome instead of waiting out the deadline.
    sent_after = await mailroom.sent(request_id=second)
    assert sorted((s.template, s.to) for s in sent_after) == [
        ("asker_ask_sent", c.asker.email),
        ("asker_expired", c.asker.email),
    ]
    ask_row = next(r for r in await mailroom.rows(second) if r.template == "connector_ask")
    assert ask_row.status == "skipped" and ask_row.last_error
    for first_or_second in (first, second):
        state = (await world.api.get(f"/v1/intro-requests/{first_or_second}")).json()["state"]
        assert state == "expired"


async def test_a_connector_who_unsubscribed_is_not_copied_on_the_introduction(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()
    sent = await mailroom.one("connector_ask", request_id=rid)
    token = header(sent.email, "List-Unsubscribe").strip("<>").rsplit("/a/", 1)[1]
    r = await world.api.post(f"/a/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text

    await world.do(rid, "accept", c.expert.id)
    await mailroom.run()

    intro = await mailroom.one("introduction", request_id=rid)
    e = intro.email
    assert [a.email for a in (e.to, *e.also_to)] == [c.asker.email, c.expert.email]
    assert e.cc == (), "never contact me"
    # Two people remain, so it is still a shared message: nobody's unsubscribe link.
    assert not [k for k, _ in e.headers if k.lower().startswith("list-unsubscribe")]
