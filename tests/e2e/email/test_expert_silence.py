"""A silent expert, end to end through the timer worker (SQLite and PostgreSQL): the
ask returns to the connector, who is emailed "Jane has not answered — ask someone
else?" and names someone else from that email; an ask past the workspace's
`ask_lifetime_days` expires at its next deadline instead."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.cast import TWO_SUGGESTIONS
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World

DAY = timedelta(days=1)


async def test_a_silent_expert_returns_the_ask_and_the_connector_names_someone_else(
    world: World, mailroom: Mailroom, clock: FakeClock, visitor: httpx.AsyncClient
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()

    clock.advance(7 * DAY)
    await mailroom.run()

    view = await world.view(rid, c.connector.id)
    assert (view["state"], view["connector_id"]) == ("awaiting_connector", c.connector.id)
    assert view["decline_reason"] == "no_answer"
    assert datetime.fromisoformat(view["deadline_at"]) == clock.now() + 5 * DAY
    events = await world.events(rid, c.connector.id)
    assert (events[-1]["type"], events[-1]["actor_id"], events[-1]["data"]["reason"]) == (
        "intro_request.expert_declined",
        None,
        "no_answer",
    )
    back = await mailroom.latest("connector_expert_declined", c.connector.id)
    assert back.email.subject == "Jane Pricing has not answered — ask someone else?"
    for body in (back.email.text, back.email.html):
        assert "did not answer in time" in body
        assert f"?expert={c.second_expert.id}" in body, "Kim is suggested instead"
        assert f"?expert={c.expert.id}" not in body, "Jane is not suggested again"
    told_asker = [s.template for s in await mailroom.sent() if s.recipient_id == c.asker.id]
    assert told_asker == ["asker_ask_sent"], "the asker hears nothing of a silent expert"

    # The connector follows the suggestion's own link and asks Kim with one button.
    link = re.search(rf"(/a/[^\s?]+)\?expert={c.second_expert.id}", back.email.text)
    assert link is not None
    page = await visitor.get(f"{link[1]}?expert={c.second_expert.id}")
    assert_page(page, 200, "Ask Kim Margins", "did not answer in time")
    done = await visitor.post(
        f"{link[1]}?expert={c.second_expert.id}",
        data={"action": "propose", "expert_id": c.second_expert.id},
    )
    assert_page(done, 200, "Thank you. We have asked Kim Margins")
    view = await world.view(rid, c.connector.id)
    assert (view["state"], view["expert_id"]) == ("awaiting_expert", c.second_expert.id)
    await mailroom.run()
    assert (await mailroom.latest("expert_consent", c.second_expert.id)).request_id == rid


async def test_an_ask_past_its_lifetime_expires_at_the_experts_deadline(
    world: World, mailroom: Mailroom, clock: FakeClock, api: httpx.AsyncClient
) -> None:
    r = await api.patch("/v1/workspace", json={"timing": {"ask_lifetime_days": 8}})
    assert r.status_code == 200, r.text
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    clock.advance(2 * DAY)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()

    clock.advance(7 * DAY)  # the expert's deadline, nine days into an ask that lives eight
    await mailroom.run()

    assert (await world.view(rid))["state"] == "expired"
    assert await mailroom.sent("connector_expert_declined") == []
    [expired] = await mailroom.sent("asker_expired")
    assert expired.recipient_id == c.asker.id
    assert await mailroom.sent("asker_not_this_time") == []
    for body in (expired.email.text, expired.email.html):
        assert c.expert.name not in body and c.expert.email not in body
