"""What the List-Unsubscribe header promises: one click, and no more email."""

from __future__ import annotations

from tests.e2e.world import World
from tests.email.cast import ask, cast
from tests.email.mailroom import Mailroom, header


async def test_one_click_unsubscribe_stops_the_mail_already_queued_for_that_person(
    world: World, mailroom: Mailroom
) -> None:
    c = await cast(world)
    first = await ask(world, c)
    await mailroom.run()
    sent = await mailroom.one("connector_ask", request_id=first)
    second = await ask(world, c, topic="hiring a first salesperson")  # queued, not yet sent

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL
    token = header(sent.email, "List-Unsubscribe").strip("<>").rsplit("/a/", 1)[1]
    r = await world.api.post(f"/a/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text
    person = (await world.api.get(f"/v1/people/{c.connector['id']}")).json()
    assert person["preferences"]["never_contact"] is True

    await mailroom.run()
    assert await mailroom.sent(request_id=second) == []
    [row] = await mailroom.rows(second)
    assert row.status == "skipped" and row.last_error


async def test_a_connector_who_unsubscribed_is_not_copied_on_the_introduction(
    world: World, mailroom: Mailroom
) -> None:
    c = await cast(world)
    rid = await ask(world, c)
    await world.do(rid, "propose", c.connector["id"], {"expert_id": c.expert["id"]})
    await mailroom.run()
    sent = await mailroom.one("connector_ask", request_id=rid)
    token = header(sent.email, "List-Unsubscribe").strip("<>").rsplit("/a/", 1)[1]
    r = await world.api.post(f"/a/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text

    await world.do(rid, "accept", c.expert["id"])
    await mailroom.run()

    intros = await mailroom.sent("introduction", request_id=rid)
    assert sorted(s.to for s in intros) == sorted([c.asker["email"], c.expert["email"]])
    for s in intros:
        assert c.connector["email"] not in [a.email for a in s.email.cc], "never contact me"
