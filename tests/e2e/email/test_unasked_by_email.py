"""Naming someone by email answers alike whoever owns the address (SQLite and
PostgreSQL, real SMTP, the timer worker on an injected clock). A connector who
proposes, or forwards to, an address that is new, known, or known to someone who
cannot be asked (opted out, snoozed, at their budget) gets the same status, the
same body but for ids and times (the expert's id is not in it: the connector sees
them as typed until they accept), the same timeline and the same page; whoever
cannot be asked receives nothing, and at their deadline the ask moves on as for
anyone who keeps silent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.clock import FakeClock
from tests.e2e.mail import ACTION_PATH, Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World, bearer
from tests.smtp import SmtpCatcher, smtp_transport

smtp_port, settings, catcher = smtp_transport()

DAY = timedelta(days=1)
IDS = ("id", "asker_id", "connector_id", "target_id")
ASKABLE = ("new", "known")


def owners(clock: FakeClock) -> dict[str, dict[str, Any] | None]:
    """Who owns the address named: nobody yet, someone askable, or someone who is not."""
    snooze = (clock.now() + 30 * DAY).isoformat()
    return {
        "new": None,
        "known": {},
        "never-contact": {"preferences": {"never_contact": True}},
        "snoozed": {"preferences": {"snooze_until": snooze}},
        "over-budget": {"preferences": {"ask_budget": 0}},
    }


async def address(world: World, how: str, fields: dict[str, Any] | None) -> str:
    if fields is None:
        return f"nobody-yet-{how}@example.org"
    owner = await world.person(f"Stored Name {how}", **fields)
    return str(owner["email"])


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in IDS and not k.endswith("_at")}


def timeline_shape(events: list[dict[str, Any]]) -> list[tuple[str, int, list[str]]]:
    return [(e["type"], e["seq"], sorted(e["data"])) for e in events]


async def email_of(world: World, person_id: str) -> str:
    return str((await world.api.get(f"/v1/people/{person_id}")).json()["email"])


def mailed(catcher: SmtpCatcher, email: str) -> list[str]:
    return [str(r.message["Subject"]) for r in catcher.received if email in r.rcpt_tos]


async def test_a_proposal_by_email_answers_alike_and_asks_only_who_can_be_asked(
    world: World,
    mailroom: Mailroom,
    catcher: SmtpCatcher,
    clock: FakeClock,
    visitor: httpx.AsyncClient,
) -> None:
    """Whoever owns the address, the connector sees the expert only as typed until
    they accept: no id (anyone may look a person up) and no stored name in the
    answer, the request, the list, the timeline, the emails or the link page."""
    answers, timelines, asked = {}, {}, {}
    shown: dict[str, list[str]] = {}
    for how, fields in owners(clock).items():
        email = await address(world, how, fields)
        asker, connector = await world.pid("Ada Asker"), await world.pid("Cyd Connector")
        rid = (await world.ask(asker, connector))["id"]
        r = await world.api.post(
            f"/v1/intro-requests/{rid}/propose",
            json={"expert": {"email": email, "name": "Typed Name"}, "note": "she knows"},
            headers=bearer(await world.token(connector)),
        )
        assert r.status_code == 200, (how, r.text)
        answers[how] = (r.status_code, without_ids(r.json()), sorted(r.headers))
        timelines[how] = timeline_shape(await world.events(rid, connector))
        asked[how] = (rid, connector, email)
        shown[how] = [r.text, *await connectors_view(world, rid, connector)]
    assert all(a == answers["new"] for a in answers.values()), answers
    assert all(t == timelines["new"] for t in timelines.values()), timelines
    assert answers["new"][1]["state"] == "awaiting_expert"
    assert answers["new"][1]["expert_id"] is None

    await mailroom.run()
    clock.advance(4 * DAY)  # the expert's reminder
    await mailroom.run()
    for how, (rid, connector, email) in asked.items():
        got = mailed(catcher, email)
        if how in ASKABLE:
            assert len(got) == 2 and got[1].startswith("Reminder"), (how, got)
        else:
            assert got == [], (how, got)
        shown[how] += await connectors_view(world, rid, connector)

    clock.advance(3 * DAY)  # the expert's deadline: back to the connector, no answer
    await mailroom.run()
    for how, (rid, connector, _) in asked.items():
        view = await world.view(rid, connector)
        assert (view["state"], view["decline_reason"]) == ("awaiting_connector", "no_answer")
        events = await world.events(rid, connector)
        assert [e["type"] for e in events][-2:] == [
            "intro_request.reminder_due",
            "intro_request.expert_declined",
        ], how
        timelines[how] = timeline_shape(events)
        told = mailed(catcher, await email_of(world, connector))
        assert told[-1] == "Typed Name has not answered — ask someone else?", (how, told)
        shown[how] += await connectors_view(world, rid, connector)
        shown[how] += await connectors_mail(world, catcher, connector, visitor)
    assert all(t == timelines["new"] for t in timelines.values()), timelines
    for how, (rid, _, email) in asked.items():
        assert len(mailed(catcher, email)) == (2 if how in ASKABLE else 0), how
        expert = await proposed(world, rid)
        seen = "\n".join(shown[how])
        assert expert not in seen and "Stored Name" not in seen, how


async def test_once_the_expert_accepts_the_connector_sees_them_by_id(world: World) -> None:
    owner = await world.person("Stored Name")
    asker, connector = await world.pid("Ada Asker"), await world.pid("Cyd Connector")
    rid = (await world.ask(asker, connector))["id"]
    named = {"expert": {"email": owner["email"], "name": "Typed Name"}}
    assert (await world.do(rid, "propose", connector, named))["expert_id"] is None

    await world.do(rid, "accept", owner["id"])

    assert (await world.view(rid, connector))["expert_id"] == owner["id"]
    [proposal] = [
        e for e in await world.events(rid, connector) if e["type"].endswith("expert_proposed")
    ]
    assert proposal["data"]["expert_id"] == owner["id"]


async def connectors_view(world: World, rid: str, connector: str) -> list[str]:
    """The request, the list and the timeline as the connector's member token reads them."""
    token = bearer(await world.token(connector))
    paths = (f"/v1/intro-requests/{rid}", "/v1/intro-requests", f"/v1/intro-requests/{rid}/events")
    return [(await world.api.get(path, headers=token)).text for path in paths]


async def connectors_mail(
    world: World, catcher: SmtpCatcher, connector: str, visitor: httpx.AsyncClient
) -> list[str]:
    """Every email to the connector as they read it, and the pages its links open."""
    to = await email_of(world, connector)
    mail = [r.readable() for r in catcher.received if to in r.rcpt_tos]
    pages = [(await visitor.get(path)).text for m in mail for path in ACTION_PATH.findall(m)]
    return mail + pages


async def proposed(world: World, rid: str) -> str:
    """The id of the expert proposed, as the workspace sees it."""
    events = await world.events(rid)
    [proposal] = [e for e in events if e["type"] == "intro_request.expert_proposed"]
    return str(proposal["data"]["expert_id"])


async def test_a_forward_by_email_answers_alike_and_moves_on_at_the_deadline(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher, clock: FakeClock
) -> None:
    """The connector who forwards sees whom they named only as typed, for good; the
    asker is told the name typed."""
    answers, asked = {}, {}
    shown: dict[str, list[str]] = {}
    for how, fields in owners(clock).items():
        email = await address(world, how, fields)
        asker, connector = await world.pid("Ada Asker"), await world.pid("Cyd Connector")
        rid = (await world.ask(asker, connector))["id"]
        r = await world.api.post(
            f"/v1/intro-requests/{rid}/forward",
            json={"connector": {"email": email, "name": "Typed Name"}},
            headers=bearer(await world.token(connector)),
        )
        assert r.status_code == 200, (how, r.text)
        assert r.json()["connector_id"] is None
        answers[how] = (without_ids(r.json()), timeline_shape(await world.events(rid, connector)))
        asked[how] = (rid, email, asker, connector)
        shown[how] = [r.text, *await connectors_view(world, rid, connector)]
    assert all(a == answers["new"] for a in answers.values()), answers

    await mailroom.run()
    for how, (_, _, asker, _) in asked.items():
        told = mailed(catcher, await email_of(world, asker))
        assert 'Your ask about "pricing a B2B SaaS product" is now with Typed Name' in told, how
    clock.advance(3 * DAY)  # the new connector's reminder
    await mailroom.run()
    clock.advance(2 * DAY)  # their deadline: silence, and no fallback to hand it to
    await mailroom.run()
    for how, (rid, email, _, connector) in asked.items():
        assert (await world.view(rid))["state"] == "expired", how
        got = mailed(catcher, email)
        assert len(got) == (2 if how in ASKABLE else 0), (how, got)  # the ask, its reminder
        holder = str((await world.view(rid))["connector_id"])
        seen = "\n".join(shown[how] + await connectors_view(world, rid, connector))
        assert holder not in seen and "Stored Name" not in seen, how


async def test_the_connectors_page_answers_alike_for_any_address(
    world: World,
    mailroom: Mailroom,
    catcher: SmtpCatcher,
    clock: FakeClock,
    visitor: httpx.AsyncClient,
) -> None:
    pages, named = {}, {}
    for how, fields in owners(clock).items():
        email = named[how] = await address(world, how, fields)
        asker, connector = await world.pid("Ada Asker"), await world.pid("Cyd Connector")
        await world.ask(asker, connector)
        await mailroom.run()
        [ask] = [r for r in catcher.received if r.rcpt_tos == [await email_of(world, connector)]]
        text = ask.message.get_body(("plain",))
        assert text is not None
        [path] = ACTION_PATH.findall(text.get_content())
        done = await visitor.post(
            path, data={"action": "propose", "expert_name": "Typed Name", "expert_email": email}
        )
        pages[how] = assert_page(done, 200, "We have asked Typed Name")
        assert "Stored Name" not in pages[how]
    assert all(p == pages["new"] for p in pages.values()), pages
    await mailroom.run()
    for how, email in named.items():
        assert len(mailed(catcher, email)) == (1 if how in ASKABLE else 0), how
