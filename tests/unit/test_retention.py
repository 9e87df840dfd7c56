"""Retention on fakes: the setting (90 days unless changed, at least a day), the
purge by each workspace's own retention, and the worker's sweep, which drains a
backlog batch by batch and then rests for an hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.clock import FakeClock
from tests.unit.fakes import QueuedEmail
from tests.unit.world import World
from warmintro.domain.commands import PurgeExpired, UpdateWorkspace
from warmintro.domain.errors import InvalidInput
from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import Timing
from warmintro.infra.retention import RetentionSweep


def test_mail_is_kept_90_days_unless_set_and_never_less_than_a_day() -> None:
    assert Timing().retention == timedelta(days=90)
    with pytest.raises(InvalidInput, match="at least a day"):
        Timing(retention=timedelta(hours=23))


async def test_the_workspace_api_key_sets_the_retention(w: World) -> None:
    updated = await w.run(UpdateWorkspace(timing={"retention": timedelta(days=7)}), w.operator())

    assert updated.timing.retention == timedelta(days=7)
    assert w.store.data.workspaces[w.workspace.id].timing.retention == timedelta(days=7)


async def test_the_purge_follows_the_workspace_retention_and_spares_pending_mail(
    w: World,
) -> None:
    w.store.data.workspaces[w.workspace.id] = replace(
        w.workspace, timing=replace(w.workspace.timing, retention=timedelta(days=7))
    )
    intent = EmailIntent("connector_ask", w.person("Ada"), new_id(), new_id())
    now = w.clock.now()
    sent_old = QueuedEmail(w.workspace.id, intent, now - timedelta(days=8), status="sent")
    sent_new = QueuedEmail(w.workspace.id, intent, now - timedelta(days=6), status="sent")
    pending_old = QueuedEmail(w.workspace.id, intent, now - timedelta(days=80))
    w.store.data.outbox = [sent_old, sent_new, pending_old]

    assert await w.use_cases(PurgeExpired()) == 1

    assert w.store.data.outbox == [sent_new, pending_old]


class Purge:
    """Deletes `backlog` rows, at most a batch at a time."""

    def __init__(self, backlog: int) -> None:
        self.backlog = backlog
        self.calls = 0

    async def __call__(self, batch: int) -> int:
        self.calls += 1
        deleted = min(batch, self.backlog)
        self.backlog -= deleted
        return deleted


async def test_the_sweep_drains_in_batches_then_rests_for_an_hour() -> None:
    clock, purge = FakeClock(), Purge(backlog=25)
    sweep = RetentionSweep(purge, clock, batch=10)

    assert [await sweep.run_once() for _ in range(4)] == [10, 10, 5, 0]
    assert purge.calls == 3, "rests once a batch comes back short"

    purge.backlog = 3
    clock.advance(timedelta(minutes=59))
    assert await sweep.run_once() == 0
    clock.advance(timedelta(minutes=1))
    assert await sweep.run_once() == 3
