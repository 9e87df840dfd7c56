"""Erasure and export of a person with a rich history: asker, connector and expert,
connections both ways, notes, emails sent, webhooks received, idempotent POSTs."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.mail import addressed_to
from tests.e2e.webhooks.drivers import Hooks, SendGrid, find_everywhere
from tests.e2e.webhooks.receiver import Receiver, verify
from tests.e2e.world import World, as_, assert_problem, bearer


@dataclass
class History:
    id: str
    email: str
    name: str
    headline: str
    bio: str
    secret: str
    """The webhook endpoint's signing secret."""
    people: dict[str, str]
    requests: dict[str, str]
    """What the person is to each request, by name: see `build_history`."""

    @property
    def identifying(self) -> list[str]:
        return [self.email, self.name, self.headline, self.bio]


async def build_history(
    world: World,
    api: httpx.AsyncClient,
    hooks: Hooks,
    receiver: Receiver,
    sendgrid: SendGrid,
) -> History:
    tag = secrets.token_hex(5)
    name = f"Zephyrine Quillfeather {tag}"
    email = f"Zephyrine.Q+{tag}@Example.COM"
    headline = f"Barometer whisperer {tag}"
    bio = f"Collects antique barometers and once rowed across the Minch ({tag})."
    endpoint = await hooks.register(receiver.url)

    r = await api.post(
        "/v1/people",
        json={
            "email": email,
            "name": name,
            "headline": headline,
            "bio": bio,
            "expertise": ["barometers", "rowing"],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    me = r.json()["id"]
    people = {
        n: await world.pid(n.title())
        for n in ("c1", "c2", "c3", "c4", "fallback", "e1", "e2", "a2", "a3", "a4", "a5")
    }
    p = people
    await world.connect(me, p["c1"], 4, "we row together on Sundays")
    await world.connect(p["c1"], me, 4, "rowing club")
    await world.connect(me, p["e1"], 2, "met at a barometer fair")
    await world.connect(p["e1"], me, 3, "barometer fair")

    # As the asker: an open ask (created with an Idempotency-Key; its blurb, as
    # blurbs do, says who they are), an ask waiting on an expert, and a finished one.
    r = await api.post(
        "/v1/intro-requests",
        json={
            "asker_id": me,
            "connector_id": p["c1"],
            "topic": "restoring a mercury barometer",
            "message": f"Hi, I'm {name}. {bio} I want to restore a mercury barometer.",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    requests = {"open_ask": r.json()["id"]}
    requests["ask_awaiting_expert"] = (
        await world.ask(me, p["c2"], topic="sculling technique", message="Coaching, please.")
    )["id"]
    await world.do(requests["ask_awaiting_expert"], "propose", p["c2"], {"expert_id": p["e1"]})
    requests["ask_done"] = (await world.ask(me, p["c3"], topic="tides in the Minch"))["id"]
    await world.do(requests["ask_done"], "propose", p["c3"], {"expert_id": p["e2"]})
    await world.do(requests["ask_done"], "accept", p["e2"], {"note": "glad to"})
    await world.do(
        requests["ask_done"], "feedback", me, {"rating": "yes", "note": f"Thanks, {name}"}
    )

    # As the connector: asks waiting on them (with and without a fallback), and one
    # they passed to an expert.
    requests["waits_with_fallback"] = (
        await world.ask(p["a2"], me, topic="weather lore", fallback_connector_ids=[p["fallback"]])
    )["id"]
    requests["waits_alone"] = (await world.ask(p["a3"], me, topic="brass polishing"))["id"]
    requests["proposed_by_them"] = (await world.ask(p["a4"], me, topic="antique clocks"))["id"]
    await world.do(
        requests["proposed_by_them"],
        "propose",
        me,
        {"expert_id": p["e2"], "note": f"{name} here: you know clocks."},
    )

    # Someone else's ask, with them as the fallback connector.
    requests["falls_back_to_them"] = (
        await world.ask(p["a5"], p["c2"], topic="storm glass", fallback_connector_ids=[me])
    )["id"]

    # As the expert, asked and not yet answered.
    requests["waits_on_them_as_expert"] = (await world.ask(p["a5"], p["c4"], topic="barometers"))[
        "id"
    ]
    await world.do(requests["waits_on_them_as_expert"], "propose", p["c4"], {"expert_id": me})

    await world.mail.run()
    mine = addressed_to(world.mail.emails(), email)
    assert len(mine) >= 4, "emails to them went out"
    rows = await world.mail.rows(recipient_id=me)
    r = await sendgrid.post(
        *(
            sendgrid.event("open", email, outbox_id=row.id, request_id=row.request_id)
            for row in rows
        )
    )
    assert r.status_code == 200, r.text
    assert len(receiver.received) >= len(requests)
    return History(me, email, name, headline, bio, endpoint["secret"], people, requests)


async def test_an_erased_persons_email_name_and_bio_are_in_no_row_of_any_table(
    world: World,
    api: httpx.AsyncClient,
    hooks: Hooks,
    receiver: Receiver,
    sendgrid: SendGrid,
) -> None:
    h = await build_history(world, api, hooks, receiver, sendgrid)
    container = world.container
    assert await find_everywhere(container.engine, h.identifying), "the search finds them"

    r = await api.delete(f"/v1/people/{h.id}")
    assert r.status_code == 204, r.text
    await world.mail.run()

    found = await find_everywhere(container.engine, h.identifying)
    assert found == [], "\n".join(found)


async def test_erasure_withdraws_their_asks_moves_requests_waiting_on_them_and_keeps_timelines(
    world: World,
    api: httpx.AsyncClient,
    hooks: Hooks,
    receiver: Receiver,
    sendgrid: SendGrid,
) -> None:
    h = await build_history(world, api, hooks, receiver, sendgrid)
    rq, p = h.requests, h.people
    before = {rid: await world.events(rid) for rid in rq.values()}
    already = len(receiver.received)
    token = bearer(await world.token(h.id))
    sent_before = len(world.mail.emails())

    r = await api.delete(f"/v1/people/{h.id}")
    assert r.status_code == 204, r.text
    await world.mail.run()

    assert_problem(await api.get(f"/v1/people/{h.id}"), 404)
    assert_problem(await api.delete(f"/v1/people/{h.id}"), 404)
    r = await api.get("/v1/intro-requests", headers=token)
    assert r.status_code == 401, "their member token stopped working at once"
    c1 = await api.get(f"/v1/people/{p['c1']}/connections")
    assert c1.status_code == 200 and h.id not in c1.text

    # Those told of the changes (connectors, experts) read nothing of the person.
    sent_after = world.mail.emails()[sent_before:]
    assert len(sent_after) >= 4, "connectors and experts were told"
    for email in sent_after:
        assert email.to.email.casefold() != h.email.casefold()
        text = f"{email.subject}\n{email.text}\n{email.html}".casefold()
        assert not [x for x in h.identifying if x.casefold() in text], email.subject

    async def state(key: str) -> dict[str, Any]:
        return await world.view(rq[key])

    assert (await state("open_ask"))["state"] == "cancelled"
    assert (await state("ask_awaiting_expert"))["state"] == "cancelled"
    assert (await state("ask_done"))["state"] == "completed"
    handed = await state("waits_with_fallback")
    assert (handed["state"], handed["connector_id"]) == ("awaiting_connector", p["fallback"])
    assert (await state("waits_alone"))["state"] == "expired"
    assert (await state("proposed_by_them"))["state"] == "awaiting_expert"
    back = await state("waits_on_them_as_expert")
    assert (back["state"], back["expert_id"]) == ("awaiting_connector", None)
    told = await world.mail.rows(
        request_id=rq["waits_on_them_as_expert"], template="connector_expert_unreachable"
    )
    assert [(str(t.recipient_id), t.status) for t in told] == [(p["c4"], "sent")]

    # Timelines keep every event, under the same opaque id, with their notes gone.
    for rid, old in before.items():
        new = await world.events(rid)
        assert [(e["id"], e["type"], e["actor_id"]) for e in new[: len(old)]] == [
            (e["id"], e["type"], e["actor_id"]) for e in old
        ]
    (feedback,) = [e for e in await world.events(rq["ask_done"]) if e["actor_id"] == h.id][1:]
    assert feedback["type"] == "intro_request.completed"
    assert h.name not in str(feedback["data"])
    done = await world.view(rq["ask_done"])
    assert done["asker_id"] == h.id

    # Named as a fallback before, they are skipped now.
    await world.do(rq["falls_back_to_them"], "decline", p["c2"], {"reason": "busy"})
    assert (await state("falls_back_to_them"))["state"] == "declined"

    erased = [x for x in receiver.received[already:] if x.type == "person.erased"]
    assert len(erased) == 1
    payload = verify(h.secret, erased[0])
    assert payload["data"] == {"id": h.id}


async def test_the_export_holds_their_profile_connections_requests_and_events(
    world: World,
    api: httpx.AsyncClient,
    hooks: Hooks,
    receiver: Receiver,
    sendgrid: SendGrid,
) -> None:
    h = await build_history(world, api, hooks, receiver, sendgrid)
    rq, p = h.requests, h.people

    r = await api.get(f"/v1/people/{h.id}/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    export = r.json()
    person = export["person"]
    assert (person["id"], person["name"], person["headline"], person["bio"]) == (
        h.id,
        h.name,
        h.headline,
        h.bio,
    )
    assert person["email"].casefold() == h.email.casefold()
    assert sorted(c["person_id"] for c in export["connections"]) == sorted([p["c1"], p["e1"]])
    assert {c["context"] for c in export["connections"]} == {
        "we row together on Sundays",
        "met at a barometer fair",
    }

    seen = {x["id"]: x for x in export["intro_requests"]}
    assert set(seen) == set(rq.values()) - {rq["falls_back_to_them"]}, "the ones they are party to"
    assert seen[rq["ask_awaiting_expert"]]["expert_id"] is None, "the asker's view, in export too"
    assert seen[rq["ask_done"]]["expert_id"] == p["e2"]
    assert seen[rq["open_ask"]]["message"].startswith(f"Hi, I'm {h.name}.")
    assert {seen[rq[k]]["viewer_role"] for k in ("open_ask", "ask_done")} == {"asker"}
    assert seen[rq["waits_alone"]]["viewer_role"] == "connector"
    assert seen[rq["waits_on_them_as_expert"]]["viewer_role"] == "expert"

    theirs = sorted((e["request_id"], e["type"]) for e in export["events"])
    assert theirs == sorted(
        [
            (rq["open_ask"], "intro_request.created"),
            (rq["ask_awaiting_expert"], "intro_request.created"),
            (rq["ask_done"], "intro_request.created"),
            (rq["ask_done"], "intro_request.completed"),
            (rq["proposed_by_them"], "intro_request.expert_proposed"),
        ]
    )

    own = await api.get(f"/v1/people/{h.id}/export", headers=bearer(await world.token(h.id)))
    assert own.status_code == 200, own.text
    assert own.json()["person"]["id"] == h.id
    other = bearer(await world.token(p["a2"]))
    r = await api.get(f"/v1/people/{h.id}/export", headers=other)
    assert r.status_code in (403, 404), r.text
    assert h.email.casefold() not in r.text.casefold() and h.bio not in r.text
    r = await api.delete(f"/v1/people/{h.id}", headers=other)
    assert r.status_code in (403, 404), r.text
    r = await api.get(f"/v1/people/{h.id}/export", headers=as_(p["a2"]))
    assert r.status_code == 200, "an API key may export anyone"

    assert (await api.delete(f"/v1/people/{h.id}")).status_code == 204
    assert_problem(await api.get(f"/v1/people/{h.id}/export"), 404)
