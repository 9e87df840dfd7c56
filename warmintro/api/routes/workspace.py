"""The calling workspace's own settings (API keys only)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from warmintro.api.deps import CallerDep, ContainerDep
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import WorkspaceOut, WorkspacePatch
from warmintro.domain import commands as cmd

router = APIRouter(prefix="/v1/workspace", tags=["workspace"], responses=PROBLEMS)


@router.get("", response_model=WorkspaceOut)
async def get_workspace(caller: CallerDep) -> WorkspaceOut:
    """Deadlines, reminders, the feedback delay, the ask lifetime, how long emails are
    retried, and ask budgets in force."""
    return WorkspaceOut.of(await caller(cmd.GetWorkspace()))


@router.patch("", response_model=WorkspaceOut)
async def update_workspace(
    body: WorkspacePatch, caller: CallerDep, c: ContainerDep
) -> WorkspaceOut:
    """Change them; requests already waiting keep their deadlines. A reminder must
    fall before its deadline, the ask lifetime must be at least the longest deadline,
    and emails must be retried for at least an hour (422 otherwise). Other API
    processes see the change within 30 s."""
    given = body.timing.model_dump(exclude_none=True) if body.timing else {}
    timing = {
        key.removesuffix("_hours").removesuffix("_days"): (
            timedelta(days=value) if key.endswith("_days") else timedelta(hours=value)
        )
        for key, value in given.items()
    }
    budgets = body.budgets.model_dump(exclude_none=True) if body.budgets else {}
    update = cmd.UpdateWorkspace(name=body.name, timing=timing or None, budgets=budgets or None)
    updated = await caller(update)
    c.auth.forget()  # this process sees the new settings at once; others within 30 s
    return WorkspaceOut.of(updated)
