"""What the worker counts, seen in `/metrics`: emails by outcome, webhook
deliveries by outcome, timers due (read at scrape time) and fired, and when each
stage last completed a pass."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.webhooks.drivers import CREATED, Hooks, ask_again
from tests.e2e.webhooks.receiver import Receiver, Reply
from tests.e2e.world import World
from tests.scrape import value
from warmintro.api.container import Container


async def scrape(visitor: httpx.AsyncClient) -> str:
    r = await visitor.get("/metrics")
    assert r.status_code == 200
    return r.text


async def test_webhook_deliveries_are_counted_by_outcome(
    world: World, hooks: Hooks, receiver: Receiver, clock: FakeClock, visitor: httpx.AsyncClient
) -> None:
    receiver.script(Reply(500, "not now"))
    await hooks.register(receiver.url, CREATED)
    await ask_again(world)
    await hooks.run()
    text = await scrape(visitor)
    assert value(text, "warmintro_webhook_deliveries_total", outcome="retry") == 1
    assert value(text, "warmintro_webhook_deliveries_total", outcome="delivered") == 0

    clock.advance(timedelta(seconds=5))
    await hooks.run()
    text = await scrape(visitor)
    assert value(text, "warmintro_webhook_deliveries_total", outcome="retry") == 1
    assert value(text, "warmintro_webhook_deliveries_total", outcome="delivered") == 1
    assert len(receiver.received) == 2


async def test_emails_timers_and_worker_liveness_are_counted(
    world: World, container: Container, clock: FakeClock, visitor: httpx.AsyncClient
) -> None:
    text = await scrape(visitor)
    assert value(text, "warmintro_outbox_pending") == 0
    assert not [
        line for line in text.splitlines() if line.startswith("warmintro_worker_last_success")
    ], "no pass yet"

    await ask_again(world)  # the connector's ask and the asker's receipt, and a deadline
    text = await scrape(visitor)
    assert value(text, "warmintro_outbox_pending") == 2
    assert value(text, "warmintro_timers_due") == 0

    assert await container.worker.run_once() == 2
    text = await scrape(visitor)
    assert value(text, "warmintro_outbox_sends_total", outcome="sent") == 2
    assert value(text, "warmintro_outbox_pending") == 0
    for stage in ("timers", "email", "webhooks"):
        at = value(text, "warmintro_worker_last_success_timestamp_seconds", stage=stage)
        assert at == clock.now().timestamp(), stage

    clock.advance(timedelta(days=30))  # past every deadline and reminder
    text = await scrape(visitor)
    assert value(text, "warmintro_timers_due") == 1
    assert value(text, "warmintro_timers_fired_total") == 0

    await container.worker.run_once()
    text = await scrape(visitor)
    assert value(text, "warmintro_timers_fired_total") >= 1
    later = value(text, "warmintro_worker_last_success_timestamp_seconds", stage="timers")
    assert later == clock.now().timestamp()
