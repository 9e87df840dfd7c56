"""Time's emails: reminders, expiry, hand-off to a fallback, the "did it help?" ask.

The FakeClock moves; the worker fires due timers and sends what they queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom, drain
from tests.e2e.world import World
from warmintro.api.container import Container, bootstrap
from warmintro.domain.commands import FireDueTimers
from warmintro.infra.settings import Settings

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

REMINDED = "intro_request.reminder_due"
EXPIRED = "intro_request.expired"
HANDED_OFF = "intro_request.handed_off"
FEEDBACK_ASKED = "intro_request.feedback_requested"


async def twice(mailroom: Mailroom) -> None:
    """Two full worker passes: the second must find nothing new to do."""
    await mailroom.run()
    assert await mailroom.run() == 0


async def test_an_unanswered_ask_gets_exactly_one_connector_reminder_after_three_days(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    party = await world.party()
    await mailroom.run()
    clock.advance(3 * DAY - MINUTE)
    await twice(mailroom)
    assert await mailroom.sent("connector_reminder") == []

    clock.advance(MINUTE)
    await twice(mailroom)
    await mailroom.container.worker.run_once()
    [sent] = await mailroom.sent("connector_reminder")
    assert str(sent.row.recipient_id) == party.connector
    assert len(await mailroom.rows(party.request, "connector_reminder")) == 1
    assert len(await mailroom.events(party.request, REMINDED)) == 1

    clock.advance(DAY)
    await twice(mailroom)
    assert len(await mailroom.rows(party.request, "connector_reminder")) == 1
    assert (await world.view(party.request))["state"] == "awaiting_connector"


async def test_an_unanswered_ask_expires_after_five_days_and_the_asker_hears_it_expired(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    party = await world.party()
    await mailroom.run()
    clock.advance(5 * DAY - MINUTE)
    await twice(mailroom)
    assert (await world.view(party.request))["state"] == "awaiting_connector"
    assert await mailroom.sent("asker_expired") == []

    clock.advance(MINUTE)
    await twice(mailroom)
    assert (await world.view(party.request))["state"] == "expired"
    [neutral] = await mailroom.sent("asker_expired")
    assert str(neutral.row.recipient_id) == party.asker
    assert len(await mailroom.events(party.request, EXPIRED)) == 1

    clock.advance(10 * DAY)
    await twice(mailroom)
    assert len(await mailroom.rows(party.request, "asker_expired")) == 1
    assert len(await mailroom.rows(party.request, "connector_reminder")) == 1
    assert len(await mailroom.events(party.request, EXPIRED)) == 1


async def test_with_fallbacks_the_expired_ask_goes_to_the_next_connector_instead(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    asker = await world.pid("Asker")
    first = await world.pid("First connector")
    second = await world.pid("Second connector")
    third = await world.pid("Third connector")
    rid = (await world.ask(asker, first, fallback_connector_ids=[second, third]))["id"]
    await mailroom.run()
    assert [str(s.row.recipient_id) for s in await mailroom.sent("connector_ask")] == [first]

    clock.advance(5 * DAY)
    await twice(mailroom)
    view = await world.view(rid)
    assert view["state"] == "awaiting_connector"
    assert view["connector_id"] == second
    asks = await mailroom.sent("connector_ask")
    assert [str(s.row.recipient_id) for s in asks] == [first, second], "one at a time"
    assert await mailroom.sent("asker_expired") == []
    assert len(await mailroom.events(rid, HANDED_OFF)) == 1
    assert await mailroom.events(rid, EXPIRED) == []

    # the second connector has a full wait of their own: reminded at 3 days, not before
    clock.advance(3 * DAY - MINUTE)
    await twice(mailroom)
    reminded = [str(s.row.recipient_id) for s in await mailroom.sent("connector_reminder")]
    assert second not in reminded
    clock.advance(MINUTE)
    await twice(mailroom)
    reminded = [str(s.row.recipient_id) for s in await mailroom.sent("connector_reminder")]
    assert reminded.count(second) == 1

    clock.advance(2 * DAY)
    await twice(mailroom)
    assert (await world.view(rid))["connector_id"] == third
    clock.advance(5 * DAY)
    await twice(mailroom)
    assert (await world.view(rid))["state"] == "expired"
    [neutral] = await mailroom.sent("asker_expired")
    assert str(neutral.row.recipient_id) == asker
    asks = await mailroom.sent("connector_ask")
    assert [str(s.row.recipient_id) for s in asks] == [first, second, third]


async def test_the_expert_is_reminded_after_four_days_and_the_ask_returns_after_seven(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    await mailroom.run()

    clock.advance(4 * DAY - MINUTE)
    await twice(mailroom)
    assert await mailroom.sent("expert_reminder") == []
    assert await mailroom.sent("connector_reminder") == [], "the connector has answered"

    clock.advance(MINUTE)
    await twice(mailroom)
    [nudge] = await mailroom.sent("expert_reminder")
    assert str(nudge.row.recipient_id) == party.expert
    assert len(await mailroom.events(party.request, REMINDED)) == 1

    clock.advance(3 * DAY - 2 * MINUTE)
    await twice(mailroom)
    assert (await world.view(party.request))["state"] == "awaiting_expert"

    # Silence is a no: the ask goes back to the connector (tests/e2e/email/test_expert_silence.py).
    clock.advance(2 * MINUTE)
    await twice(mailroom)
    assert (await world.view(party.request))["state"] == "awaiting_connector"
    [back] = await mailroom.sent("connector_expert_declined")
    assert str(back.row.recipient_id) == party.connector
    assert await mailroom.sent("asker_not_this_time") == []
    assert len(await mailroom.rows(party.request, "expert_reminder")) == 1
    assert await mailroom.events(party.request, EXPIRED) == []


async def test_the_asker_is_asked_whether_it_helped_three_days_after_the_introduction(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    clock.advance(timedelta(hours=5))
    await world.do(party.request, "accept", party.expert)
    await mailroom.run()

    clock.advance(3 * DAY - MINUTE)
    await twice(mailroom)
    assert await mailroom.sent("asker_feedback_ask") == []

    clock.advance(MINUTE)
    await twice(mailroom)
    [ask] = await mailroom.sent("asker_feedback_ask")
    assert str(ask.row.recipient_id) == party.asker

    clock.advance(30 * DAY)
    await twice(mailroom)
    assert len(await mailroom.rows(party.request, "asker_feedback_ask")) == 1
    assert len(await mailroom.events(party.request, FEEDBACK_ASKED)) == 1
    assert (await world.view(party.request))["state"] == "introduced"
    for template in ("asker_expired", "connector_reminder", "expert_reminder"):
        assert await mailroom.rows(party.request, template) == [], template


# ---- many workers -------------------------------------------------------------------


@pytest.fixture
async def second_container(settings: Settings, clock: FakeClock) -> AsyncIterator[Container]:
    """Another process's worker on the same database and the same (fake) time."""
    container = bootstrap(settings, clock)
    yield container
    await container.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_workers_remind_once_and_expire_once(
    world: World,
    mailroom: Mailroom,
    container: Container,
    second_container: Container,
    clock: FakeClock,
) -> None:
    asker = await world.pid("Asker")
    requests = []
    for c in range(4):
        connector = await world.pid(f"Connector {c}")
        for topic in ("pricing", "hiring", "fundraising"):
            requests.append((await world.ask(asker, connector, topic=topic))["id"])
    await mailroom.run()

    async def race() -> None:
        """Two workers and two bare timer passes at once, until none finds work."""
        for _ in range(30):
            done = await asyncio.gather(
                container.worker.run_once(),
                second_container.worker.run_once(),
                container.use_cases(FireDueTimers(limit=2)),
                second_container.use_cases(FireDueTimers(limit=2)),
            )
            if not any(done):
                break
        await drain(container.worker)  # whatever a lost race left for the next pass

    clock.advance(3 * DAY)
    await race()
    for rid in requests:
        assert len(await mailroom.events(rid, REMINDED)) == 1, rid
        [row] = await mailroom.rows(rid, "connector_reminder")
        assert row.status == "sent" and row.attempts == 1

    clock.advance(2 * DAY)
    await race()
    for rid in requests:
        assert len(await mailroom.events(rid, EXPIRED)) == 1, rid
        [row] = await mailroom.rows(rid, "asker_expired")
        assert row.status == "sent" and row.attempts == 1
        assert (await world.view(rid))["state"] == "expired"

    mailboxes = [
        e.email.message_id
        for c in (container, second_container)
        for e in c.mailbox.entries()
        if dict(e.email.tags)["workspace_id"] == str(mailroom.workspace_id)
    ]
    # "your ask went", the ask, the reminder, "it expired"
    assert len(mailboxes) == len(set(mailboxes)) == 4 * len(requests)
