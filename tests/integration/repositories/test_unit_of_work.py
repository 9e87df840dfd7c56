"""The unit of work rolls back unless committed; workspaces and API keys."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.integration.builder import NOW, Builder
from warmintro.domain.ids import new_id
from warmintro.domain.people import (
    Budgets,
    Timing,
    Workspace,
)
from warmintro.domain.ports import ApiKey


async def test_uow_rolls_back_when_not_committed(build: Builder) -> None:
    person = build.person()
    async with build.uow() as uow:
        await uow.people.add(person)
        assert await uow.people.get(build.workspace_id, person.id) == person  # own writes seen

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) is None


async def test_uow_rolls_back_when_the_block_raises(build: Builder) -> None:
    person = build.person()
    with pytest.raises(RuntimeError, match="boom"):
        async with build.uow() as uow:
            await uow.people.add(person)
            raise RuntimeError("boom")

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) is None


async def test_uow_keeps_what_was_committed_and_drops_what_came_after(build: Builder) -> None:
    kept, dropped = build.person(), build.person()
    async with build.uow() as uow:
        await uow.people.add(kept)
        await uow.commit()
        await uow.people.add(dropped)

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, kept.id) == kept
        assert await uow.people.get(build.workspace_id, dropped.id) is None


async def test_workspaces_and_api_keys_round_trip(build: Builder) -> None:
    workspace = Workspace(
        id=build.workspace_id,
        name="Alumni network",
        created_at=NOW,
        timing=Timing(
            connector_deadline=timedelta(days=4),
            connector_reminder=timedelta(days=2),
            expert_deadline=timedelta(days=6),
            expert_reminder=timedelta(hours=30),
        ),
        budgets=Budgets(connector_open=7, expert_pending=2),
    )
    async with build.uow() as uow:
        await uow.workspaces.add(workspace)
        await uow.api_keys.add(ApiKey(new_id(), workspace.id, "backend", NOW), "a" * 64)
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.workspaces.get(workspace.id) == workspace
        assert await uow.api_keys.exists(workspace.id, "a" * 64)
        assert not await uow.api_keys.exists(workspace.id, "b" * 64)
        assert not await uow.api_keys.exists(new_id(), "a" * 64)


async def test_a_workspace_update_rewrites_its_name_deadlines_and_budgets(build: Builder) -> None:
    workspace = Workspace(id=build.workspace_id, name="Alumni", created_at=NOW)
    changed = dataclasses.replace(
        workspace,
        name="Alumni network",
        timing=Timing(connector_deadline=timedelta(days=2), connector_reminder=timedelta(days=1)),
        budgets=Budgets(connector_open=1, expert_pending=1),
    )
    async with build.uow() as uow:
        await uow.workspaces.add(workspace)
        await uow.commit()
    async with build.uow() as uow:
        await uow.workspaces.update(changed)
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.workspaces.get(workspace.id) == changed
        assert await uow.workspaces.get(new_id()) is None
