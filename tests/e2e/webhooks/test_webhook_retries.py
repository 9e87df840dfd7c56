"""When a receiver fails: retries on a schedule (and as Retry-After asks), a 410 or
eight failures disable the endpoint and hold what follows, a delivery retried by
hand keeps its webhook-id, rotation signs with both secrets for a day, and a
deleted endpoint gets nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime

import httpx

from tests.clock import FakeClock
from tests.e2e.servers import free_port
from tests.e2e.webhooks.drivers import CREATED, Hooks, ask_again, at
from tests.e2e.webhooks.receiver import Receiver, Reply, signed_with, verify
from tests.e2e.world import World, assert_problem

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


async def test_a_receiver_down_for_hours_is_retried_on_schedule_then_disabled_and_sent_once_back(
    world: World,
    hooks: Hooks,
    receivers: Callable[..., Receiver],
    clock: FakeClock,
    api: httpx.AsyncClient,
) -> None:
    """Refused connections for the first four attempts (nothing listens), then a
    receiver that answers 503 for the last four: each retry goes at its time and
    not a second before, the eighth failure disables the endpoint with a reason
    the list shows, later events are held, and once the receiver is back and the
    endpoint enabled, each held delivery goes out exactly once."""
    port, path = free_port(), "/hooks/down-for-hours"
    endpoint = await hooks.register(f"http://127.0.0.1:{port}{path}", CREATED)
    await ask_again(world)
    await hooks.run()
    due = clock.now()
    for attempt, wait in enumerate(RETRY_WAITS + LAST_WAITS, start=2):
        if attempt == 5:
            receiver = receivers(port, path)
            receiver.script(*(Reply(503, "down for maintenance") for _ in range(4)))
        due += wait
        clock.advance(due - timedelta(seconds=1) - clock.now())
        await hooks.run()
        (delivery,) = await hooks.deliveries(endpoint["id"])
        assert len(delivery["attempts"]) == attempt - 1, f"attempt {attempt} went early"
        clock.advance(timedelta(seconds=1))
        await hooks.run()
        (delivery,) = await hooks.deliveries(endpoint["id"])
        assert len(delivery["attempts"]) == attempt, f"attempt {attempt} did not go after {wait}"
        assert at(delivery["attempts"][-1]["at"]) == due
    assert clock.now() - at(delivery["attempts"][0]["at"]) > timedelta(hours=27)

    attempts = delivery["attempts"]
    assert [a["status_code"] for a in attempts] == [None] * 4 + [503] * 4
    assert all(a["error"] and "Connect" in a["error"] for a in attempts[:4]), attempts[:4]
    assert delivery["status"] == "failed"
    assert len(receiver.received) == 4
    listed = {e["id"]: e for e in (await api.get("/v1/webhook-endpoints")).json()["items"]}
    shown = listed[endpoint["id"]]
    assert shown["enabled"] is False
    assert shown["disabled_reason"] == "8 attempts failed; last: HTTP 503", shown

    held = {await ask_again(world) for _ in range(2)}
    for _ in range(3):
        clock.advance(timedelta(hours=12))
        await hooks.run()
    assert len(receiver.received) == 4, "nothing is sent while disabled"
    log = await hooks.deliveries(endpoint["id"])
    assert sorted(d["status"] for d in log) == ["failed", "held", "held"]

    r = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable")
    assert r.status_code == 200 and r.json()["enabled"] is True, r.text
    await hooks.run()
    clock.advance(timedelta(days=2))
    await hooks.run()
    after = receiver.received[4:]
    assert sorted(r.payload["data"]["id"] for r in after) == sorted(held), "each held one, once"
    assert len({r.webhook_id for r in after}) == 2
    log = await hooks.deliveries(endpoint["id"])
    assert sorted(d["status"] for d in log) == ["delivered", "delivered", "failed"]


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
