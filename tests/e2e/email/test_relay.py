"""The outbox relay: transactional enqueue, claims under concurrency, leases, backoff."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import TypedDict, Unpack

import pytest
import sqlalchemy as sa

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom, drain, tag
from tests.e2e.world import World
from tests.workspaces import Workspace
from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.commands import CreateIntroRequest, Decide, Decline
from warmintro.domain.errors import SendFailed
from warmintro.domain.intro_request import DeclineReason
from warmintro.domain.ports import OutgoingEmail
from warmintro.domain.use_cases import UseCases
from warmintro.infra.email.compose import Composer
from warmintro.infra.outbox_relay import (
    BASE_BACKOFF,
    LEASE,
    MAX_BACKOFF,
    OutboxRelay,
    backoff,
)
from warmintro.infra.tables import outbox
from warmintro.infra.uow import SqlUnitOfWork

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


class RecordingMailer:
    """Accepts everything and remembers it; yields to the loop so relays interleave."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    async def send(self, email: OutgoingEmail) -> str | None:
        await asyncio.sleep(0)
        self.sent.append(email)
        return f"provider-{len(self.sent)}"

    def outbox_ids(self) -> list[str]:
        return [tag(e, "outbox_id") for e in self.sent]


class ProcessKilled(BaseException):
    """The process went away between the transport's acceptance and the mark
    (a BaseException, like SystemExit: nothing in the relay may swallow it)."""


class DiesAfterAccepting(RecordingMailer):
    def __init__(self, death: BaseException) -> None:
        super().__init__()
        self.death = death

    async def send(self, email: OutgoingEmail) -> str | None:
        await super().send(email)
        raise self.death


class AlwaysBusy(RecordingMailer):
    async def send(self, email: OutgoingEmail) -> str | None:
        self.sent.append(email)
        raise SendFailed("421 try again later", permanent=False)


class RelayOptions(TypedDict, total=False):
    batch: int


def relay(
    container: Container, mailer: RecordingMailer, **options: Unpack[RelayOptions]
) -> OutboxRelay:
    composer = Composer(container.links, container.clock, container.settings.email_from)
    return OutboxRelay(container.engine, composer, mailer, container.clock, **options)


async def count_rows(container: Container, workspace_id: uuid.UUID) -> int:
    async with container.engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(outbox)
                .where(outbox.c.workspace_id == workspace_id)
            )
        ).scalar_one()


# ---- transactional enqueue -------------------------------------------------------


async def test_a_refused_decision_queues_no_email(
    world: World, mailroom: Mailroom, container: Container, workspace: Workspace
) -> None:
    party = await world.party()
    stranger = await world.pid("Stranger")
    before = await count_rows(container, workspace.id)
    assert before == 2  # the ask to the connector, "your ask went to them" to the asker

    refused = [
        # nobody is proposed yet, so there is nothing to accept
        ("accept", party.expert, None),
        # the asker may not take the connector's decisions
        ("propose", party.asker, {"expert_id": party.expert}),
        # someone who is no party to the request
        ("decline", stranger, {"reason": "busy"}),
        # feedback before any introduction
        ("feedback", party.asker, {"rating": "yes"}),
        # an expert who is already a party to the request
        ("propose", party.connector, {"expert_id": party.asker}),
    ]
    for action, actor, body in refused:
        r = await world.act(party.request, action, actor, body)
        assert 400 <= r.status_code < 500, (action, r.status_code, r.text)
    assert await count_rows(container, workspace.id) == before

    await world.do(party.request, "decline", party.connector, {"reason": "busy"})
    after_decline = await count_rows(container, workspace.id)
    assert after_decline == before + 1
    # repeating a decision is idempotent: no second email
    await world.do(party.request, "decline", party.connector, {"reason": "busy"})
    assert (await world.act(party.request, "cancel", party.asker)).status_code == 409
    assert await count_rows(container, workspace.id) == after_decline


async def test_an_ask_sent_late_to_a_connector_it_has_moved_on_from_is_not_sent(
    world: World, mailroom: Mailroom
) -> None:
    """Retries run for days: a connector's ask that goes out after they passed it on
    would offer the next connector's contacts, on a link that can no longer decide."""
    party = await world.party()
    dan = await world.pid("Dan Next")
    secret = await world.pid("Dans Contact", expertise=["pricing"])
    await world.connect(dan, secret, strength=5)
    await world.do(party.request, "forward", party.connector, {"connector_id": dan})

    await mailroom.run()

    [late] = await mailroom.rows(party.request, "connector_ask", recipient_id=party.connector)
    assert (late.status, late.last_error) == (
        "skipped",
        "the ask has moved on to another connector",
    )
    [dans] = await mailroom.sent("connector_ask")
    assert dans.recipient_id == dan and "Dans Contact" in dans.email.text


class DatabaseGone(Exception):
    pass


class CommitFails(SqlUnitOfWork):
    """A unit of work whose commit never happens (the connection drops at COMMIT)."""

    async def commit(self) -> None:
        raise DatabaseGone("connection lost at commit")


async def test_a_change_that_is_not_committed_queues_no_email(
    world: World, container: Container, workspace: Workspace, clock: FakeClock
) -> None:
    party = await world.party()
    before = await count_rows(container, workspace.id)
    async with container.uow(write=False) as uow:
        ws = await uow.workspaces.get(workspace.id)
    assert ws is not None
    operator = Principal(ws, None, operator=True)
    connector = Principal(ws, uuid.UUID(party.connector), operator=True)
    other = await world.pid("Other connector")

    def commit_fails(*, write: bool = True) -> CommitFails:
        return CommitFails(container.engine, write=write)

    failing = UseCases(replace(container.use_cases.env, uows=commit_fails))
    with pytest.raises(DatabaseGone):
        await failing(
            CreateIntroRequest(
                asker_id=uuid.UUID(party.asker),
                connector_id=uuid.UUID(other),
                topic="hiring",
                message="Who hires well?",
            ),
            operator,
        )
    with pytest.raises(DatabaseGone):
        await failing(Decide(uuid.UUID(party.request), Decline(DeclineReason.BUSY)), connector)

    assert await count_rows(container, workspace.id) == before
    assert [r["id"] for r in await world.requests()] == [party.request]
    assert (await world.view(party.request))["state"] == "awaiting_connector"


# ---- concurrency and leases ----------------------------------------------------


@POSTGRES_ONLY
async def test_concurrent_relays_send_every_row_exactly_once(
    world: World, mailroom: Mailroom, container: Container
) -> None:
    asker = await world.pid("Asker")
    for c in range(6):
        connector = await world.pid(f"Connector {c}")
        for topic in ("pricing", "hiring", "fundraising", "churn", "onboarding"):
            await world.ask(asker, connector, topic=topic)
    queued = {str(r.id) for r in await mailroom.rows()}
    assert len(queued) == 60  # each ask to its connector, and "your ask went" to the asker

    mailer = RecordingMailer()
    relays = [relay(container, mailer, batch=4) for _ in range(5)]
    claimed = await asyncio.gather(*(drain(r) for r in relays))

    assert Counter(mailer.outbox_ids()) == Counter(queued), "each row sent exactly once"
    assert sum(claimed) == 60
    assert sum(1 for n in claimed if n) > 1, "the relays shared the work"
    rows = await mailroom.rows()
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    assert {r.message_id for r in rows} == {e.message_id for e in mailer.sent}


@pytest.mark.parametrize("death", [ProcessKilled("SIGKILL"), asyncio.CancelledError()])
async def test_a_relay_that_dies_after_sending_is_repeated_once_after_the_lease(
    world: World,
    mailroom: Mailroom,
    container: Container,
    clock: FakeClock,
    death: BaseException,
) -> None:
    party = await world.party()
    dying = DiesAfterAccepting(death)
    with pytest.raises(type(death)):
        await relay(container, dying).run_once()
    rows = await mailroom.rows(party.request)
    assert len(rows) == 2
    assert all(r.status == "sending" and r.locked_until == clock.now() + LEASE for r in rows)

    healthy = RecordingMailer()
    survivor = relay(container, healthy)
    clock.advance(LEASE - timedelta(seconds=1))
    assert await survivor.run_once() == 0, "the lease still holds"
    assert healthy.sent == []

    clock.advance(timedelta(seconds=1))
    assert await survivor.run_once() == 2  # both rows the dead relay held
    [first] = dying.sent
    [second] = [e for e in healthy.sent if tag(e, "outbox_id") == tag(first, "outbox_id")]
    assert second.message_id == first.message_id
    row = await mailroom.row(tag(first, "outbox_id"))
    assert row.status == "sent" and row.attempts == 2
    assert row.message_id == first.message_id

    clock.advance(LEASE * 3)
    await drain(survivor)
    assert len(healthy.sent) == 2, "never a third time"


# ---- backoff and giving up -----------------------------------------------------


def test_backoff_is_full_jitter_under_an_exponential_ceiling_capped_at_an_hour() -> None:
    rng = random.Random(7)
    samples = {n: [backoff(n, rng) for _ in range(300)] for n in range(1, 40)}
    for n, delays in samples.items():
        ceiling = max(BASE_BACKOFF, min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (n - 1)))
        assert all(BASE_BACKOFF <= d <= ceiling for d in delays), n
        if ceiling > BASE_BACKOFF:
            assert len(set(delays)) > 1, "jittered"
            # full jitter: anywhere from the base up to the ceiling
            quarter = (ceiling - BASE_BACKOFF) / 4
            assert min(delays) < BASE_BACKOFF + quarter and max(delays) > ceiling - quarter, n
    assert max(samples[1]) <= BASE_BACKOFF
    assert max(samples[10]) > 100 * min(samples[1]), "it grows exponentially"
    capped = [d for n in range(30, 40) for d in samples[n]]
    assert max(capped) <= MAX_BACKOFF
    assert backoff(10_000, rng) <= MAX_BACKOFF


async def test_transient_failures_retry_until_the_workspaces_retry_window_ends(
    world: World, mailroom: Mailroom, container: Container, clock: FakeClock
) -> None:
    r = await world.api.patch("/v1/workspace", json={"timing": {"email_retry_days": 0.5}})
    assert r.status_code == 200, r.text
    party = await world.party()
    [row] = await mailroom.rows(party.request, "connector_ask")
    window_ends = row.created_at + timedelta(hours=12)
    mailer = AlwaysBusy()
    busy = relay(container, mailer)

    def tries() -> int:
        return len([e for e in mailer.sent if tag(e, "outbox_id") == str(row.id)])

    while True:
        assert await busy.run_once() >= 1  # the asker's email follows its own backoff
        [row] = await mailroom.rows(party.request, "connector_ask")
        assert row.attempts == tries()
        assert row.last_error and "421 try again later" in row.last_error
        if row.status != "pending":
            break
        assert clock.now() < row.available_at <= window_ends
        assert row.available_at - clock.now() <= timedelta(seconds=MAX_BACKOFF)
        clock.current = row.available_at
    assert row.status == "failed"
    assert clock.now() == window_ends, "the last try falls on the end of the window"
    assert row.last_error.startswith("gave up")
    assert tries() > 12, "tried at least hourly all along"

    clock.advance(timedelta(days=7))
    await drain(busy)  # the asker's email may still be trying
    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "failed"
