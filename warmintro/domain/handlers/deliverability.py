"""What the email provider reports: bounces stop mail and move waiting asks on.

A bounce or a drop marks the address undeliverable, a spam report suppresses
it; either way no more mail goes to it, and every request waiting on that
person moves on at once instead of waiting out its deadline. Deliveries and
opens are noted on the outbox message. Providers resend events, so each is
acted on once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from warmintro.domain.commands import ProviderEvent, RecordProviderEvents
from warmintro.domain.handlers.conflicts import retrying
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.moving_on import move_on_from
from warmintro.domain.people import EmailStatus
from warmintro.domain.ports import UnitOfWork

UNDELIVERABLE = {
    "bounce": EmailStatus.BOUNCED,
    "dropped": EmailStatus.BOUNCED,
    "spamreport": EmailStatus.SUPPRESSED,
}
NOTED = {"delivered", "open"}


async def record_provider_events(cmd: RecordProviderEvents, env: Env) -> int:
    """Act on each new event, each in its own transaction (one that races a decision
    is taken again); returns how many were new."""
    new = 0
    for event in cmd.events:
        new += await retrying(partial(_record_one, event, env))
    return new


async def _record_one(event: ProviderEvent, env: Env) -> int:
    now = env.clock.now()
    async with env.uows() as uow:
        if not await uow.provider_events.first_time(
            event.workspace_id, event.event_id, event.kind, event.outbox_id, now
        ):
            return 0
        if event.kind in NOTED and event.outbox_id is not None:
            await uow.provider_events.mark_outbox(
                event.workspace_id, event.outbox_id, event.kind, event.occurred_at
            )
        elif event.kind in UNDELIVERABLE:
            await _undeliverable(uow, event, UNDELIVERABLE[event.kind], now)
        await uow.commit()
    return 1


async def _undeliverable(
    uow: UnitOfWork, event: ProviderEvent, status: EmailStatus, now: datetime
) -> None:
    person = await uow.people.get_by_email(event.workspace_id, event.email)
    workspace = await uow.workspaces.get(event.workspace_id)
    if person is None or workspace is None:
        return
    if person.email_status is EmailStatus.OK or status is EmailStatus.SUPPRESSED:
        await uow.people.update(replace(person, email_status=status, updated_at=now))
    await move_on_from(uow, workspace, person.id, now)
