"""Outbound webhooks to a real HTTP receiver on loopback, verified with the
`standardwebhooks` package: the secret is shown once, every event of an intro
arrives signed and without personal data, and endpoints get only what they
subscribed to."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.webhooks.drivers import Hooks, at
from tests.e2e.webhooks.receiver import Receiver, verify
from tests.e2e.world import World, assert_problem

FEEDBACK_DELAY = timedelta(days=3)


async def test_the_signing_secret_is_shown_only_when_created_or_rotated(
    hooks: Hooks, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    created = await hooks.register(receiver.url)
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > len("whsec_") + 20
    assert created["url"] == receiver.url
    assert created["enabled"] is True and created["disabled_reason"] is None
    assert created["event_types"] == []

    shown = await hooks.get(created["id"])
    listed = (await api.get("/v1/webhook-endpoints")).json()
    assert shown["secret"] is None
    assert [e["secret"] for e in listed["items"] if e["id"] == created["id"]] == [None]
    r = await api.get(f"/v1/webhook-endpoints/{created['id']}")
    assert secret not in r.text
    assert secret not in (await api.get("/v1/webhook-endpoints")).text

    r = await api.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret")
    assert r.status_code == 200, r.text
    rotated = r.json()["secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    after = await api.get(f"/v1/webhook-endpoints/{created['id']}")
    assert after.json()["secret"] is None
    assert rotated not in after.text and secret not in after.text


async def test_every_event_of_a_full_intro_reaches_the_receiver_signed_and_without_personal_data(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    # Deliveries are signed when sent, and verification wants a timestamp near the
    # wall clock: the intro happens three days ago (by the FakeClock) and the
    # worker first runs now, when the "did it help?" ask falls due.
    clock.current -= FEEDBACK_DELAY + timedelta(minutes=1)
    endpoint = await hooks.register(receiver.url)
    secret = endpoint["secret"]

    tag = secrets.token_hex(4)
    private: list[str] = []

    async def person(name: str) -> str:
        p = await world.person(
            f"{name} {tag}",
            email=f"{name.split()[0].lower()}.{tag}@Example.org",
            headline=f"headline of {name} {tag}",
            bio=f"bio of {name} {tag}, who likes long walks",
        )
        private.extend([p["name"], p["email"], p["headline"], p["bio"]])
        person_id: str = p["id"]
        return person_id

    def text(what: str) -> str:
        private.append(f"{what} {tag}")
        return private[-1]

    asker = await person("Ottoline Brisk")
    connector = await person("Cassius Marlow")
    second = await person("Delphine Okafor")
    declining = await person("Ezra Thornbury")
    expert = await person("Philippa Voss")

    # A: forwarded, one expert declines, another accepts, feedback.
    a = await world.ask(
        asker, connector, topic=text("pricing topic"), message=text("a blurb about pricing")
    )
    await world.do(a["id"], "forward", connector, {"connector_id": second, "note": text("fwd")})
    await world.do(a["id"], "propose", second, {"expert_id": declining, "note": text("ask E")})
    await world.do(
        a["id"], "decline", declining, {"reason": "busy", "note": text("sorry, swamped")}
    )
    await world.do(a["id"], "propose", second, {"expert_id": expert, "note": text("ask P")})
    await world.do(a["id"], "accept", expert, {"note": text("happy to help")})
    # B: the connector says no, the fallback takes it and says no too.
    b = await world.ask(
        asker,
        connector,
        topic=text("hiring topic"),
        message=text("a blurb about hiring"),
        fallback_connector_ids=[second],
    )
    await world.do(b["id"], "decline", connector, {"reason": "not_a_fit", "note": text("nope")})
    await world.do(b["id"], "decline", second, {"reason": "not_now", "note": text("later")})
    # C: the asker changes their mind.
    c = await world.ask(asker, second, topic=text("fundraising"), message=text("a third blurb"))
    await world.do(c["id"], "cancel", asker)

    clock.advance(FEEDBACK_DELAY + timedelta(minutes=1))
    await hooks.run()  # everything so far, and the feedback ask the timer fires
    await world.do(a["id"], "feedback", asker, {"rating": "yes", "note": text("it helped")})
    await hooks.run()

    timeline = {
        e["id"]: (rid, e) for rid in (a["id"], b["id"], c["id"]) for e in await world.events(rid)
    }
    got = receiver.received
    assert {e["type"] for _, e in timeline.values()} == {
        "intro_request.created",
        "intro_request.forwarded",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
        "intro_request.introduced",
        "intro_request.feedback_requested",
        "intro_request.completed",
        "intro_request.declined",
        "intro_request.handed_off",
        "intro_request.cancelled",
    }
    assert len(got) == len(timeline), "one delivery per event, each exactly once"
    assert len({r.webhook_id for r in got}) == len(got)
    for r in got:
        assert r.method == "POST"
        assert r.headers["content-type"] == "application/json"
        payload = verify(secret, r)  # raises unless signed with the secret, and fresh
        event_id = payload["data"]["event_id"]
        assert event_id in timeline, payload
        request_id, event = timeline.pop(event_id)
        assert payload["type"] == event["type"]
        assert payload["data"]["id"] == request_id
        assert payload["data"]["state"] == event["data"]["state"]
        assert at(payload["timestamp"]) == at(event["occurred_at"])
        body = r.body.decode()
        assert "@" not in body, body
        leaked = [p for p in private if p.casefold() in body.casefold()]
        assert not leaked, (leaked, body)
    assert not timeline, f"events never delivered: {timeline}"

    log = await hooks.deliveries(endpoint["id"])
    assert len(log) == len(got)
    assert {d["status"] for d in log} == {"delivered"}


async def test_an_endpoint_receives_only_the_event_types_it_subscribed_to(
    world: World, hooks: Hooks, receivers: Callable[[], Receiver], api: httpx.AsyncClient
) -> None:
    narrow, wide = receivers(), receivers()
    subscribed = await hooks.register(
        narrow.url, ("intro_request.introduced", "intro_request.cancelled")
    )
    assert subscribed["event_types"] == ["intro_request.introduced", "intro_request.cancelled"]
    everything = await hooks.register(wide.url)

    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    await world.do(party.request, "accept", party.expert)
    await hooks.run()

    assert [r.type for r in narrow.received] == ["intro_request.introduced"]
    verify(subscribed["secret"], narrow.received[0])
    assert sorted(r.type for r in wide.received) == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.introduced",
    ]
    for received in wide.received:
        verify(everything["secret"], received)

    r = await api.post(
        "/v1/webhook-endpoints",
        json={"url": narrow.url, "event_types": ["intro_request.exploded"]},
    )
    assert_problem(r, 422)
