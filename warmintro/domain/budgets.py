"""Ask budgets: nobody is asked more than they agreed to carry.

A connector holds at most N open asks (workspace default 5), an expert at most
M pending consents (default 3); a person's own `ask_budget` overrides both.
Snoozed people and people who asked never to be contacted receive none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from warmintro.domain.errors import AskBudgetExceeded, RecipientUnavailable
from warmintro.domain.intro_request import Role
from warmintro.domain.people import Person, Workspace
from warmintro.domain.ports import Load, UnitOfWork

_NO_DEADLINE_RETRY = timedelta(days=1)


async def ensure_can_ask(
    uow: UnitOfWork,
    workspace: Workspace,
    person: Person,
    role: Role,
    now: datetime,
    *,
    holding: int = 0,
) -> None:
    """Raise unless `person` may receive one more ask in `role` right now. `holding`
    asks of their load are the one being asked about (counted once, not twice)."""
    load = await uow.requests.load(workspace.id, person.id, role)
    ensure_can_ask_given(workspace, person, role, now, load, holding=holding)


def ensure_can_ask_given(
    workspace: Workspace,
    person: Person,
    role: Role,
    now: datetime,
    load: Load,
    *,
    holding: int = 0,
) -> None:
    """`ensure_can_ask` given the person's `load` in `role`, read already."""
    if not person.reachable():
        raise RecipientUnavailable(
            f"this {role.value} cannot be asked: they opted out or their email does not work",
            role=role.value,
        )
    if person.snoozed(now):
        assert person.preferences.snooze_until is not None
        raise AskBudgetExceeded(
            f"this {role.value} is snoozed",
            retry_after=person.preferences.snooze_until,
            role=role.value,
        )
    default = (
        workspace.budgets.connector_open
        if role is Role.CONNECTOR
        else workspace.budgets.expert_pending
    )
    limit = person.preferences.ask_budget if person.preferences.ask_budget is not None else default
    held = load.count - holding
    if held >= limit:
        raise AskBudgetExceeded(
            f"this {role.value} already has {held} open asks, their limit",
            retry_after=load.earliest_deadline or now + _NO_DEADLINE_RETRY,
            role=role.value,
        )


async def can_ask(
    uow: UnitOfWork,
    workspace: Workspace,
    person: Person,
    role: Role,
    now: datetime,
    *,
    holding: int = 0,
) -> bool:
    try:
        await ensure_can_ask(uow, workspace, person, role, now, holding=holding)
    except (AskBudgetExceeded, RecipientUnavailable):
        return False
    return True
