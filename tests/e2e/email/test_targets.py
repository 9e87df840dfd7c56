"""Targets in the loop, end to end (SQLite and PostgreSQL, real SMTP): an ask that
names whom the asker hopes to meet says so in the connector's email (and
reminder) and page, by name and headline and never by address; the target comes
first, with their own "Ask" link, and is preselected on the page when the
connector knows them, even off topic; after a forward the next connector's
network decides; the consent ask to the target says they were asked for by name,
and to anyone else it says nothing of the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.mail import ACTION_PATH, Mailroom, suggestion_links
from tests.e2e.pages.reading import assert_page, selected
from tests.e2e.world import World
from tests.smtp import Received, SmtpCatcher, smtp_transport

smtp_port, settings, catcher = smtp_transport()

HOPES = "Ada hopes to meet Jane Doe"
BY_NAME = "Ada Asker hoped to meet you in particular"


@dataclass(frozen=True)
class People:
    ada: str
    carl: str
    dan: str
    jane: str
    kim: str
    jane_email: str


async def people(world: World, *, carl_knows_jane: bool) -> People:
    """Ada asks about pricing; Kim fits the topic; Jane, whom Ada hopes to meet, is a
    gardener (she matches nothing of the topic). Dan knows Jane and Kim."""
    ada = await world.pid("Ada Asker", headline="Founder at Pricely")
    carl = await world.pid("Carl Connector")
    dan = await world.pid("Dan Second")
    jane = await world.person("Jane Doe", headline="Head gardener", expertise=["gardening"])
    kim = await world.pid("Kim Margins", headline="Pricing lead", expertise=["pricing", "saas"])
    await world.connect(carl, kim, strength=5)
    await world.connect(dan, kim, strength=4)
    await world.connect(dan, jane["id"], strength=2)
    if carl_knows_jane:
        await world.connect(carl, jane["id"], strength=1)
    return People(ada, carl, dan, jane["id"], kim, jane["email"])


def bodies(received: Received) -> tuple[str, str]:
    """The text and HTML parts, as a reader reads them (whitespace collapsed in text)."""
    text = received.message.get_body(preferencelist=("plain",))
    html = received.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return " ".join(text.get_content().split()), html.get_content()


def one(catcher: SmtpCatcher, subject: str, to: str) -> Received:
    found = [
        r
        for r in catcher.received
        if str(r.message["Subject"]).startswith(subject) and to in r.rcpt_tos
    ]
    assert len(found) == 1, [str(r.message["Subject"]) for r in catcher.received]
    return found[0]


async def email_of(world: World, person_id: str) -> str:
    return str((await world.api.get(f"/v1/people/{person_id}")).json()["email"])


async def test_the_connector_is_told_whom_the_asker_hopes_to_meet_and_asks_them_first(
    world: World,
    mailroom: Mailroom,
    catcher: SmtpCatcher,
    clock: FakeClock,
    visitor: httpx.AsyncClient,
) -> None:
    p = await people(world, carl_knows_jane=True)
    rid = (await world.ask(p.ada, p.carl, target_id=p.jane))["id"]
    await mailroom.run()

    ask = one(catcher, "Ada Asker asks", await email_of(world, p.carl))
    text, html = bodies(ask)
    assert f"{HOPES} (Head gardener). You know them, so they come first below." in text
    assert f"<strong>{HOPES}</strong> (Head gardener)" in html
    assert p.jane_email not in ask.raw.decode(), "the target's name, never their address"
    for part in (text, html):
        assert list(suggestion_links(part)) == [p.jane, p.kim], "the target first, off topic"
    assert "Jane Doe, Head gardener (whom Ada hopes to meet) Ask Jane:" in text
    assert "Ask Jane</a>" in html and "Ask Kim</a>" in html

    # Her own link opens the page with her chosen; the general link names her and
    # preselects her; the API lists her first, flagged.
    [path] = set(ACTION_PATH.findall(text))
    chosen = await visitor.get(suggestion_links(text)[p.jane])
    assert_page(chosen, 200, "Ask Jane Doe")
    assert selected(chosen.text, "expert_id") == p.jane
    page = await visitor.get(path)
    assert_page(page, 200, HOPES, "(Head gardener)", "You know them, so they come first")
    assert selected(page.text, "expert_id") == p.jane
    assert "Jane Doe (Head gardener) · Ada hopes to meet them" in page.text
    assert p.jane_email not in page.text
    r = await world.api.get(
        f"/v1/intro-requests/{rid}/suggestions", headers={"X-On-Behalf-Of": p.carl}
    )
    first = r.json()["items"][0]
    assert (first["person_id"], first["target"], first["score"]) == (p.jane, True, 0.0)

    # The reminder says it again.
    clock.advance(timedelta(days=3))
    await mailroom.run()
    reminder = one(catcher, "Reminder: Ada Asker", await email_of(world, p.carl))
    text, html = bodies(reminder)
    assert f"{HOPES} (Head gardener)." in text and HOPES in html
    assert list(suggestion_links(text)) == [p.jane, p.kim]


async def test_a_connector_who_does_not_know_the_target_reads_about_them_and_the_next_may(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher, visitor: httpx.AsyncClient
) -> None:
    p = await people(world, carl_knows_jane=False)
    rid = (await world.ask(p.ada, p.carl, target_id=p.jane))["id"]
    await mailroom.run()

    text, html = bodies(one(catcher, "Ada Asker asks", await email_of(world, p.carl)))
    assert f"{HOPES} (Head gardener). If you know someone close to them" in text
    assert HOPES in html
    assert list(suggestion_links(text)) == [p.kim], "suggestions as without a target"
    [path] = set(ACTION_PATH.findall(text))
    page = await visitor.get(path)
    assert_page(page, 200, HOPES, "If you know someone close to them")
    assert selected(page.text, "expert_id") == p.kim

    # Passed on to Dan, who knows Jane: he reads whom Ada hopes to meet, and Jane leads.
    await world.do(rid, "forward", p.carl, {"connector_id": p.dan})
    await mailroom.run()
    text, html = bodies(one(catcher, "Ada Asker asks", await email_of(world, p.dan)))
    assert f"{HOPES} (Head gardener). You know them" in text and HOPES in html
    assert list(suggestion_links(text)) == [p.jane, p.kim]
    [path] = set(ACTION_PATH.findall(text))
    assert selected((await visitor.get(path)).text, "expert_id") == p.jane


async def test_the_consent_ask_tells_the_target_they_were_asked_for_by_name_and_nobody_else(
    world: World,
    mailroom: Mailroom,
    catcher: SmtpCatcher,
    clock: FakeClock,
    visitor: httpx.AsyncClient,
) -> None:
    p = await people(world, carl_knows_jane=True)
    hers = (await world.ask(p.ada, p.carl, target_id=p.jane))["id"]
    other = (await world.ask(p.ada, p.carl, topic="SaaS pricing tiers", target_id=p.jane))["id"]
    await world.do(hers, "propose", p.carl, {"expert_id": p.jane})
    await world.do(other, "propose", p.carl, {"expert_id": p.kim})
    await mailroom.run()

    consent = one(catcher, "Carl Connector thinks", p.jane_email)
    text, html = bodies(consent)
    assert f"{BY_NAME}: they asked for you by name." in text
    assert f"<strong>{BY_NAME}</strong>" in html
    [path] = set(ACTION_PATH.findall(text))
    assert_page(await visitor.get(path), 200, BY_NAME)

    kims = one(catcher, "Carl Connector thinks", await email_of(world, p.kim))
    text, html = bodies(kims)
    for part in (text, html):
        assert "hoped to meet" not in part and "Jane" not in part
    [path] = set(ACTION_PATH.findall(text))
    page = await visitor.get(path)
    assert_page(page, 200, "Would you talk to Ada Asker")
    assert "hoped to meet" not in page.text and "Jane" not in page.text
    seen = await world.view(other, p.kim)
    assert seen["target_id"] is None, "another expert does not learn whom Ada hoped for"

    # Their reminders say the same, and the same nothing.
    clock.advance(timedelta(days=4))
    await mailroom.run()
    text, _ = bodies(one(catcher, "Reminder: would you talk", p.jane_email))
    assert BY_NAME in text
    text, html = bodies(one(catcher, "Reminder: would you talk", await email_of(world, p.kim)))
    assert "hoped to meet" not in text + html and "Jane" not in text + html
