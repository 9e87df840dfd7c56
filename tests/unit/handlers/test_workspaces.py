"""Workspaces on fakes: the command line creates one with its first API key (stored
only as a hash); the workspace's API key reads and changes its deadlines, reminders
and budgets, a field at a time, and never a reminder after its deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.access import Authenticator, Principal, hash_api_key
from warmintro.domain.commands import (
    CreateIntroRequest,
    CreateWorkspace,
    GetWorkspace,
    UpdateWorkspace,
)
from warmintro.domain.errors import InvalidInput, NotPermitted
from warmintro.domain.people import Budgets, Timing, Workspace


def stored(w: World) -> Workspace:
    return w.store.data.workspaces[w.workspace.id]


# ---- create (the command line) -------------------------------------------------


async def test_a_new_workspace_comes_with_an_api_key_stored_only_as_a_hash(w: World) -> None:
    commits = w.commits

    new = await w.use_cases(CreateWorkspace("  Beta Club "))

    assert new.workspace.name == "Beta Club"
    assert new.workspace.created_at == w.clock.now()
    assert w.store.data.workspaces[new.workspace.id] == new.workspace
    assert set(w.store.data.api_keys) == {(new.workspace.id, hash_api_key(new.api_key))}
    assert new.api_key not in repr(w.store.contents())
    assert w.commits == commits + 1


async def test_the_new_key_opens_the_new_workspace(w: World) -> None:
    new = await w.use_cases(CreateWorkspace("Beta Club"))

    caller = await Authenticator(w.uows, w.member_tokens).authenticate(new.api_key, None)

    assert caller == Principal(new.workspace, None, operator=True)


async def test_each_workspace_gets_its_own_key(w: World) -> None:
    first = await w.use_cases(CreateWorkspace("Beta Club"))
    second = await w.use_cases(CreateWorkspace("Beta Club"))

    assert first.workspace.id != second.workspace.id
    assert first.api_key != second.api_key
    assert len(w.store.data.api_keys) == 2


async def test_a_workspace_needs_a_name(w: World) -> None:
    before = unchanged(w)
    with pytest.raises(InvalidInput):
        await w.use_cases(CreateWorkspace("   "))
    assert w.store.contents() == before


# ---- get ----------------------------------------------------------------------


async def test_the_api_key_reads_its_workspace(w: World) -> None:
    assert await w.run(GetWorkspace(), w.operator()) == w.workspace


async def test_members_read_and_change_no_workspace_settings(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(GetWorkspace(), w.member(cast.asker))
    with pytest.raises(NotPermitted):
        await w.run(UpdateWorkspace(name="Mine now"), w.member(cast.asker))
    assert w.store.contents() == before


# ---- update -------------------------------------------------------------------


async def test_timing_and_budgets_change_a_field_at_a_time(w: World) -> None:
    commits = w.commits

    updated = await w.run(
        UpdateWorkspace(
            timing={"connector_deadline": timedelta(days=10), "expert_reminder": timedelta(days=2)},
            budgets={"expert_pending": 7},
        ),
        w.operator(),
    )

    assert updated.timing == replace(
        Timing(), connector_deadline=timedelta(days=10), expert_reminder=timedelta(days=2)
    )
    assert updated.budgets == Budgets(connector_open=5, expert_pending=7)
    assert updated.name == w.workspace.name
    assert stored(w) == updated
    assert w.commits == commits + 1


async def test_a_later_change_keeps_the_earlier_ones(w: World) -> None:
    await w.run(
        UpdateWorkspace(
            timing={"feedback_delay": timedelta(days=5)}, budgets={"connector_open": 2}
        ),
        w.operator(),
    )

    updated = await w.run(
        UpdateWorkspace(name=" Alumni 2026 ", timing={"connector_deadline": timedelta(days=9)}),
        w.operator(),
    )

    assert updated.name == "Alumni 2026"
    assert updated.timing == replace(
        Timing(), feedback_delay=timedelta(days=5), connector_deadline=timedelta(days=9)
    )
    assert updated.budgets == Budgets(connector_open=2)
    assert stored(w) == updated


@pytest.mark.parametrize(
    ("timing", "budgets"),
    [
        ({"connector_reminder": timedelta(days=5)}, None),
        ({"expert_deadline": timedelta(days=4)}, None),
        (None, {"connector_open": 0}),
    ],
    ids=["reminder-at-deadline", "deadline-before-reminder", "zero-budget"],
)
async def test_settings_that_break_a_rule_are_refused_and_stored_nowhere(
    w: World, timing: dict[str, timedelta] | None, budgets: dict[str, int] | None
) -> None:
    before, commits = unchanged(w), w.commits

    with pytest.raises(InvalidInput):
        await w.run(UpdateWorkspace(timing=timing, budgets=budgets), w.operator())

    assert w.store.contents() == before
    assert w.commits == commits


async def test_asks_already_waiting_keep_their_deadlines(w: World, cast: Cast) -> None:
    waiting = await w.create(cast.asker, cast.connector)
    deadline = w.stored(waiting.id).deadline_at

    updated = await w.run(
        UpdateWorkspace(timing={"connector_deadline": timedelta(days=9)}), w.operator()
    )
    later = await w.run(
        CreateIntroRequest(connector_id=cast.fallback, topic="Hiring", message="Any advice?"),
        Principal(updated, cast.asker, operator=False),
    )

    assert w.stored(waiting.id).deadline_at == deadline
    assert later.deadline_at == w.clock.now() + timedelta(days=9)
