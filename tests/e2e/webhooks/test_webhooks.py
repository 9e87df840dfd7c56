"""Outbound webhooks to a real HTTP receiver on loopback, verified with the
`standardwebhooks` package: what is sent, how it is signed, retried and stopped."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.clock import FakeClock
from tests.e2e.mail import drain
from tests.e2e.webhooks.drivers import Hooks
from tests.e2e.webhooks.receiver import Receiver, Reply, signed_with, verify
from tests.e2e.world import Cases, World, assert_problem, bearer
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.domain.handlers.workspaces import create_workspace
from warmintro.infra.settings import Settings
from warmintro.infra.uow import SqlUnitOfWork

CREATED = ("intro_request.created",)
FEEDBACK_DELAY = timedelta(days=3)
RETRY_WAITS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
]
"""The waits before attempts 2 to 6."""
LAST_WAITS = [timedelta(hours=10), timedelta(hours=10)]
"""The waits before attempts 7 and 8, the last."""


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def ask_again(world: World) -> str:
    """One more intro request (one `intro_request.created` event) in the workspace."""
    return (await world.party()).request


# ---- registering ----------------------------------------------------------------


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


# ---- a full intro -----------------------------------------------------------------


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
        return p["id"]

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
    for r in wide.received:
        verify(everything["secret"], r)

    r = await api.post(
        "/v1/webhook-endpoints",
        json={"url": narrow.url, "event_types": ["intro_request.exploded"]},
    )
    assert_problem(r, 422)


# ---- retries ----------------------------------------------------------------------------


async def test_a_receiver_failing_five_times_then_succeeding_ends_with_one_delivery(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    receiver.script(*(Reply(500, f"failure {n}") for n in range(1, 6)))
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)

    await hooks.run()
    assert len(receiver.received) == 1
    for attempt, wait in enumerate(RETRY_WAITS, start=2):
        clock.advance(wait - timedelta(seconds=1))
        await hooks.run()
        assert len(receiver.received) == attempt - 1, f"attempt {attempt} went early"
        clock.advance(timedelta(seconds=1))
        await hooks.run()
        assert len(receiver.received) == attempt, f"attempt {attempt} did not go after {wait}"
    clock.advance(timedelta(days=1))
    await hooks.run()
    got = receiver.received
    assert len(got) == 6, "nothing more once delivered"

    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "delivered"
    assert at(delivery["delivered_at"]) == got[-1].at
    attempts = delivery["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert [a["status_code"] for a in attempts] == [500] * 5 + [200]
    assert [a["response_snippet"] for a in attempts] == [f"failure {n}" for n in range(1, 6)] + [
        "ok"
    ]
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in attempts)
    assert [at(a["at"]) for a in attempts] == [r.at for r in got]

    assert {r.webhook_id for r in got} == {delivery["webhook_id"]}
    assert [r.timestamp for r in got] == [int(r.at.timestamp()) for r in got]
    assert len({r.timestamp for r in got}) == 6, "a fresh webhook-timestamp on every attempt"
    assert {r.body for r in got} == {got[0].body}
    assert all(signed_with(endpoint["secret"], r) for r in got)
    assert (await hooks.get(endpoint["id"]))["enabled"] is True


async def test_retry_after_in_seconds_is_honoured(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    receiver.script(Reply(503, "busy", {"Retry-After": "120"}))
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()

    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "pending"
    assert at(delivery["next_attempt_at"]) == receiver.received[0].at + timedelta(seconds=120)
    clock.advance(timedelta(seconds=119))
    await hooks.run()
    assert len(receiver.received) == 1, "the schedule's 5 s gave way to Retry-After"
    clock.advance(timedelta(seconds=1))
    await hooks.run()
    assert [r.webhook_id for r in receiver.received] == [delivery["webhook_id"]] * 2
    assert (await hooks.deliveries(endpoint["id"]))[0]["status"] == "delivered"


async def test_retry_after_as_an_http_date_is_honoured(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    later = clock.now() + timedelta(minutes=10)
    receiver.script(Reply(503, "busy", {"Retry-After": format_datetime(later, usegmt=True)}))
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()

    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert at(delivery["next_attempt_at"]) == later
    clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    await hooks.run()
    assert len(receiver.received) == 1, "sent again before the date Retry-After gave"
    clock.advance(timedelta(seconds=1))
    await hooks.run()
    assert len(receiver.received) == 2


# ---- disabling --------------------------------------------------------------------------


async def test_a_410_disables_the_endpoint_and_holds_what_follows_until_enabled(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    receiver.script(Reply(410, "gone for good"))
    endpoint = await hooks.register(receiver.url)
    party = await world.party()
    await world.do(party.request, "cancel", party.asker)  # two deliveries queued
    await hooks.run()

    assert len(receiver.received) == 1
    shown = await hooks.get(endpoint["id"])
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]

    await ask_again(world)
    for _ in range(3):
        clock.advance(timedelta(hours=12))
        await hooks.run()
    assert len(receiver.received) == 1, "nothing is sent to a disabled endpoint"
    log = await hooks.deliveries(endpoint["id"])
    statuses = sorted(d["status"] for d in log)
    assert statuses.count("failed") == 1  # the one answered 410
    assert statuses.count("held") == len(log) - 1 >= 2, "later events are held, not dropped"

    r = await hooks.api.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable")
    assert r.status_code == 200 and r.json()["enabled"] is True, r.text
    await hooks.run()
    assert len(receiver.received) == len(log), "enabling sends everything that was held"
    assert {d["status"] for d in await hooks.deliveries(endpoint["id"])} == {
        "failed",
        "delivered",
    }


async def test_eight_failed_attempts_disable_the_endpoint_with_a_reason(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock
) -> None:
    receiver.script(*(Reply(500, "down") for _ in range(20)))
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()
    for wait in RETRY_WAITS + LAST_WAITS:
        clock.advance(wait)
        await hooks.run()
    assert len(receiver.received) == 8

    shown = await hooks.get(endpoint["id"])
    assert shown["enabled"] is False
    assert shown["disabled_reason"] and "500" in shown["disabled_reason"]
    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 8

    await ask_again(world)
    clock.advance(timedelta(days=1))
    await hooks.run()
    assert len(receiver.received) == 8, "nothing more is sent while disabled"
    log = await hooks.deliveries(endpoint["id"])
    assert sorted(d["status"] for d in log) == ["failed", "held"]


# ---- by hand -----------------------------------------------------------------------------


async def test_a_delivery_retried_by_hand_goes_again_with_the_same_webhook_id(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock, api: httpx.AsyncClient
) -> None:
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()
    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "delivered"

    clock.advance(timedelta(minutes=1))
    r = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["webhook_id"] == delivery["webhook_id"]
    await hooks.run()

    first, again = receiver.received
    assert again.webhook_id == first.webhook_id == delivery["webhook_id"]
    assert again.timestamp == int(clock.now().timestamp()) == first.timestamp + 60
    assert again.body == first.body
    assert verify(endpoint["secret"], again) == first.payload
    (after,) = await hooks.deliveries(endpoint["id"])
    assert after["status"] == "delivered"
    assert len(after["attempts"]) == 2

    r = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{uuid.uuid4()}/retry")
    assert_problem(r, 404)


async def test_during_a_rotation_both_secrets_sign_and_after_24_hours_only_the_new(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock, api: httpx.AsyncClient
) -> None:
    endpoint = await hooks.register(receiver.url, CREATED)
    old = endpoint["secret"]
    r = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]

    await ask_again(world)
    await hooks.run()
    (now,) = receiver.received
    assert len(now.signatures) == 2
    assert verify(new, now) == verify(old, now)

    clock.advance(timedelta(hours=24) - timedelta(minutes=1))
    await ask_again(world)
    await hooks.run()
    late = receiver.received[-1]
    assert signed_with(new, late) and signed_with(old, late)

    clock.advance(timedelta(minutes=2))
    await ask_again(world)
    await hooks.run()
    after = receiver.received[-1]
    assert len(receiver.received) == 3
    assert after.signatures and len(after.signatures) == 1
    assert signed_with(new, after)
    assert not signed_with(old, after)


async def test_a_deleted_endpoint_gets_nothing_more_not_even_what_was_queued(
    world: World, hooks: Hooks, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    endpoint = await hooks.register(receiver.url)
    await ask_again(world)  # queued, not yet sent
    r = await api.delete(f"/v1/webhook-endpoints/{endpoint['id']}")
    assert r.status_code == 204, r.text
    await hooks.run()
    await ask_again(world)
    await hooks.run()

    assert receiver.received == []
    assert_problem(await api.get(f"/v1/webhook-endpoints/{endpoint['id']}"), 404)
    listed = (await api.get("/v1/webhook-endpoints")).json()["items"]
    assert endpoint["id"] not in [e["id"] for e in listed]


# ---- who may, and where to --------------------------------------------------------------


async def test_webhook_urls_in_development_are_https_or_http_to_loopback(
    api: httpx.AsyncClient,
) -> None:
    cases = Cases()
    for url in (
        "http://example.com/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20:8080/hook",
        "ftp://127.0.0.1/hook",
        "https://user:secret@example.com/hook",
        "not a url at all",
    ):
        with cases.case(url):
            r = await api.post("/v1/webhook-endpoints", json={"url": url})
            assert_problem(r, 422)
    for url in ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://example.com/h"):
        with cases.case(url):
            r = await api.post("/v1/webhook-endpoints", json={"url": url})
            assert r.status_code == 201, r.text
    cases.check()


@pytest.fixture
async def production(database_url: str, clock: FakeClock) -> AsyncIterator[Container]:
    """A production container on the same database (its own API key via a workspace)."""
    settings = Settings(
        database_url=database_url,
        environment="production",
        secret_key=secrets.token_urlsafe(30),
        _env_file=None,
    )
    assert len(settings.secret_key) == 40
    container = bootstrap(settings, clock)
    yield container
    await container.close()


async def test_in_production_webhook_urls_must_be_https_to_public_addresses(
    production: Container, clock: FakeClock
) -> None:
    _, key = await create_workspace("prod", SqlUnitOfWork(production.engine), clock)
    app = create_app(container=production, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=bearer(key)
    ) as client:
        cases = Cases()
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://example.com/hook",
            "https://localhost/hook",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://127.1/hook",
            "https://0.0.0.0/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://10.1.2.3/hook",
            "https://100.64.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
        ):
            with cases.case(url):
                r = await client.post("/v1/webhook-endpoints", json={"url": url})
                assert_problem(r, 422)
        with cases.case("a public address"):
            r = await client.post("/v1/webhook-endpoints", json={"url": "https://1.1.1.1/hook"})
            assert r.status_code == 201, r.text
        cases.check()


async def test_in_production_the_relay_refuses_a_private_address_at_delivery_time(
    world: World, hooks: Hooks, receiver: Receiver, production: Container
) -> None:
    """The address is checked again before each delivery (DNS can change after the
    endpoint was accepted): here the same rows, seen by a production worker."""
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await drain(production.worker)

    assert receiver.received == []
    (delivery,) = await hooks.deliveries(endpoint["id"])
    assert delivery["status"] != "delivered"
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] and "public" in attempt["error"]


async def test_only_the_workspace_api_key_sees_its_endpoints(
    world: World, hooks: Hooks, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    endpoint = await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()
    (delivery,) = await hooks.deliveries(endpoint["id"])
    base = f"/v1/webhook-endpoints/{endpoint['id']}"

    member = bearer(await world.token(await world.pid()))
    cases = Cases()
    for method, path, body in (
        ("POST", "/v1/webhook-endpoints", {"url": receiver.url}),
        ("GET", "/v1/webhook-endpoints", None),
        ("GET", base, None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"{base}/rotate-secret", None),
        ("DELETE", base, None),
    ):
        with cases.case(f"member {method} {path}"):
            r = await api.request(method, path, json=body, headers=member)
            assert_problem(r, 403)

    other = bearer(await world.other_workspace())
    for method, path in (
        ("GET", base),
        ("GET", f"{base}/deliveries"),
        ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/deliveries/{delivery['id']}/retry"),
        ("DELETE", base),
    ):
        with cases.case(f"other workspace {method} {path}"):
            r = await api.request(method, path, headers=other)
            assert_problem(r, 404)
    with cases.case("other workspace list"):
        r = await api.get("/v1/webhook-endpoints", headers=other)
        assert r.status_code == 200 and r.json()["items"] == [], r.text
    cases.check()

    still = await hooks.get(endpoint["id"])
    assert still["enabled"] is True
    await hooks.run()
    assert len(receiver.received) == 1, "nobody else retried it"
