"""The asker's status page, reached from the link in "your ask went to Cat": where the
ask stands in plain words, the asker's timeline numbered 1..n with no gap where hidden
events were, and a cancel button while the ask is open. The link keeps showing the
status after its decision and refuses a second one."""

from __future__ import annotations

import re

import httpx

from tests.e2e.cast import ONE_SUGGESTION, TOPIC
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page, heading
from tests.e2e.pages.visits import only_looks, post
from tests.e2e.world import World


def numbered(page: str) -> list[tuple[int, str]]:
    """The timeline's entries: (the number shown, the words)."""
    found = re.findall(r'<li value="(\d+)">(.*?) <span', page)
    return [(int(n), words) for n, words in found]


async def test_the_status_page_numbers_the_askers_timeline_and_cancel_works_from_it(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    status = await mailroom.latest("asker_ask_sent", cast.asker.id)
    # Hidden from the asker: a proposal, the expert's no; then a forward they may see.
    await world.do(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    await world.do(rid, "decline", cast.expert.id, {"reason": "busy", "note": "Swamped"})
    await world.do(rid, "forward", cast.connector.id, {"connector_id": cast.bystander.id})

    page = await only_looks(visitor, world, status.action_path, rid, TOPIC, "Withdraw my ask")

    assert heading(page) == f"Your ask about “{TOPIC}”"
    assert "Amy Gardener is looking for the right person" in page
    assert numbered(page) == [(1, "You asked Carl Connector"), (2, "Passed on to Amy Gardener")]
    for secret in ("Erin Expert", cast.expert.email, "Swamped", "busy"):
        assert secret not in page, secret
    seen = await world.events(rid, cast.asker.id)
    assert [(e["seq"], e["type"]) for e in seen] == [
        (1, "intro_request.created"),
        (2, "intro_request.forwarded"),
    ]

    r = await post(visitor, status.action_path, action="cancel")

    assert_page(r, 200, "Your ask is withdrawn", "nobody will be asked about it any more")
    assert (await world.view(rid))["state"] == "cancelled"
    told = await mailroom.latest("party_cancelled", cast.bystander.id)
    assert TOPIC in told.email.text
    page = assert_page(await visitor.get(status.action_path), 200, "You withdrew it")
    assert "Withdraw my ask" not in page
    assert [n for n, _ in numbered(page)] == [1, 2, 3]

    # The same decision again is its outcome; another is refused; nothing moves.
    events = await world.events(rid)
    assert_page(await post(visitor, status.action_path, action="cancel"), 200, "already answered")
    r = await post(visitor, status.action_path, action="feedback", rating="yes")
    assert_page(r, 409, "used to withdraw the ask already, so it cannot also say whether it")
    assert await world.events(rid) == events


async def test_once_introduced_the_status_page_asks_whether_it_helped(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    status = await mailroom.latest("asker_ask_sent", cast.asker.id)
    await world.do(rid, "propose", cast.connector.id, {"expert_id": cast.expert.id})
    await world.do(rid, "accept", cast.expert.id)

    page = await only_looks(visitor, world, status.action_path, rid, "You were introduced")

    assert heading(page) == "Did your introduction to Erin Expert help?"
    assert numbered(page) == [
        (1, "You asked Carl Connector"),
        (2, "You were introduced to Erin Expert"),
    ]
    assert "only stops the “did it help?” question" in page
    r = await post(visitor, status.action_path, action="feedback", rating="somewhat")
    assert_page(r, 200, "We have passed your answer on")
    assert (await world.view(rid))["state"] == "completed"
