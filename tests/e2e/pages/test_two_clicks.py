"""Two clicks for the connector, through the email and the page (SQLite and
PostgreSQL): each suggestion in the ask email links to the page opened on that
person, with one button; the general page preselects the top suggestion while
forwarding starts on nobody; forwarding names someone new by email; a large
network gets a short list and a search; the email says until when the ask is theirs."""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from tests.e2e.cast import ONE_SUGGESTION, TWO_SUGGESTIONS
from tests.e2e.mail import Mailroom, suggestion_links
from tests.e2e.pages.reading import assert_page, options, selected
from tests.e2e.pages.visits import only_looks, post
from tests.e2e.world import World, assert_problem
from warmintro.domain.action_links import COUNTED_UP_TO, MAX_CANDIDATES


async def test_each_suggestion_in_the_email_opens_the_page_on_that_person(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await TWO_SUGGESTIONS.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    links = suggestion_links(ask.email.text)
    # Kim's tags match two words of the topic, Jane's one: Kim comes first.
    assert list(links) == [cast.second_expert.id, cast.expert.id]
    assert set(suggestion_links(ask.email.html)) == set(links)
    assert "Ask Jane" in ask.email.text and "Ask Kim" in ask.email.html
    for person, link in links.items():
        assert link.startswith(ask.action_path + "?")
        page = await only_looks(visitor, world, link, rid)
        assert selected(page, "expert_id") == person

    # Click one: the page with Kim chosen; click two: Kim is asked.
    page = await only_looks(visitor, world, links[cast.second_expert.id], rid, "Ask Kim Margins")
    form = re.search(r'<form method="post">(.*?)</form>', page, re.S)
    assert form is not None and "Ask Kim Margins</button>" in form[1]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[1]))
    assert fields == {"action": "propose", "expert_id": cast.second_expert.id}
    done = await visitor.post(links[cast.second_expert.id], data=fields)
    assert_page(done, 200, "Thank you. We have asked Kim Margins")
    view = await world.view(rid)
    assert (view["state"], view["expert_id"]) == ("awaiting_expert", cast.second_expert.id)


async def test_the_general_link_preselects_the_top_suggestion_and_forward_starts_on_nobody(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await TWO_SUGGESTIONS.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    page = await only_looks(visitor, world, ask.action_path, rid)

    assert selected(page, "expert_id") == cast.second_expert.id  # the top suggestion
    assert selected(page, "connector_id") == ""
    assert re.search(r'<select id="connector_id" name="connector_id" required>', page)
    forward_choices = [v for v, _ in options(page, "connector_id")]
    assert forward_choices[0] == "" and cast.expert.id in forward_choices
    # A hasty "Pass it on" without a choice passes nothing on.
    refused = await post(visitor, ask.action_path, action="forward", note="")
    assert_page(refused, 422, "Choose who should answer instead")
    assert (await world.view(rid))["connector_id"] == cast.connector.id


async def test_the_email_says_until_when_the_ask_is_theirs_by_the_workspaces_deadline(
    world: World, mailroom: Mailroom, api: httpx.AsyncClient
) -> None:
    r = await api.patch(
        "/v1/workspace",
        json={"timing": {"connector_deadline_hours": 50, "connector_reminder_hours": 24}},
    )
    assert r.status_code == 200, r.text
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    deadline = datetime.fromisoformat((await world.view(rid))["deadline_at"])
    said = f"{deadline:%A} {deadline.day} {deadline:%B} at {deadline:%H:%M} UTC"
    assert f"The ask stays with you until {said}." in ask.email.text
    assert said in ask.email.html


async def test_the_connector_forwards_to_someone_new_through_the_page(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    email = "nora.new@example.org"

    r = await post(
        visitor,
        ask.action_path,
        action="forward",
        connector_name="Nora New",
        connector_email=email,
        note="Nora knows everyone in pricing",
    )

    assert_page(r, 200, "Thank you. We have passed it on to Nora New")
    view = await world.view(rid)
    person = (await world.api.get(f"/v1/people/{view['connector_id']}")).json()
    assert (view["state"], view["hops"]) == ("awaiting_connector", 1)
    assert (person["name"], person["email"]) == ("Nora New", email)
    passed = await mailroom.latest("connector_ask", view["connector_id"])
    assert passed.email.to.email == email
    assert "Nora knows everyone in pricing" in passed.email.text


async def test_the_connector_forwards_to_someone_new_through_the_api(
    world: World, mailroom: Mailroom
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    rid = await cast.ask(world)
    nobody = await world.act(rid, "forward", cast.connector.id, {"note": "x"})
    assert_problem(nobody, 422)
    both = {"connector_id": cast.expert.id, "connector": {"email": "n@example.org", "name": "N"}}
    assert_problem(await world.act(rid, "forward", cast.connector.id, both), 422)
    bad = {"connector": {"email": "not-an-email", "name": "N"}}
    assert_problem(await world.act(rid, "forward", cast.connector.id, bad), 422)

    body = {"connector": {"email": "nora.api@example.org", "name": "Nora Api"}, "note": "hi"}
    seen = await world.do(rid, "forward", cast.connector.id, body)

    assert seen["connector_id"] is None  # named by email: seen as typed, not by id
    holder = (await world.view(rid))["connector_id"]
    person = (await world.api.get(f"/v1/people/{holder}")).json()
    assert (person["name"], person["email"]) == ("Nora Api", "nora.api@example.org")
    passed = await mailroom.latest("connector_ask", holder)
    assert passed.email.to.email == "nora.api@example.org"


async def test_a_connector_with_more_connections_than_a_page_counts_is_told_over(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    connector = (await world.api.get(f"/v1/people/{cast.connector.id}")).json()["email"]
    knows_them = [{"email": connector, "strength": 2, "mutual": True}]
    rows = [
        {"email": f"many{n}@example.org", "name": f"Many {n:04d}", "connections": knows_them}
        for n in range(COUNTED_UP_TO + 1)
    ]
    r = await world.api.post("/v1/people/import", json=rows, timeout=60)
    assert r.status_code == 200, r.text[:500]
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    page = await only_looks(visitor, world, ask.action_path, rid, "search to find the others (over")
    listed = [v for v, _ in options(page, "expert_id") if v]
    shown = re.search(r"search to find the others \(over (\d+)\)", page)
    assert shown is not None and int(shown.group(1)) == COUNTED_UP_TO - len(listed)
    wide = await visitor.get(f"{ask.action_path}?q=many")
    assert f"and over {COUNTED_UP_TO - MAX_CANDIDATES} more" in wide.text


async def test_a_connector_with_200_connections_gets_a_short_list_and_a_search(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    for n in range(200):
        await world.connect(cast.connector.id, await world.pid(f"Member {n:03d}"))
    needle = await world.pid("Quentin Needle", headline="Runs the tea guild")
    await world.connect(cast.connector.id, needle)
    rid = await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)

    page = await only_looks(visitor, world, ask.action_path, rid, "search to find the other")
    listed = [v for v, _ in options(page, "expert_id") if v]
    assert len(listed) <= 50
    assert needle not in listed
    assert re.search(rf'<form method="get" action="{re.escape(ask.action_path)}"', page)

    found = await only_looks(visitor, world, f"{ask.action_path}?q=quentin", rid, "1 match")
    assert [v for v, _ in options(found, "expert_id") if v] == [needle]
    assert selected(found, "expert_id") == needle
    by_headline = await visitor.get(f"{ask.action_path}?q=TEA+guild")
    assert [v for v, _ in options(by_headline.text, "expert_id") if v] == [needle]

    # Search and a suggestion's link together: the chosen person stays chosen.
    both = await only_looks(
        visitor, world, f"{ask.action_path}?expert={cast.expert.id}&q=quentin", rid
    )
    assert selected(both, "expert_id") == cast.expert.id
    assert set(v for v, _ in options(both, "expert_id") if v) == {cast.expert.id, needle}
    assert f'name="expert" value="{cast.expert.id}"' in both
