"""A workspace to test in, with its API key."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from warmintro.api.container import Container
from warmintro.domain.handlers.workspaces import create_workspace


@dataclass(frozen=True)
class Workspace:
    id: uuid.UUID
    api_key: str


async def new_workspace(container: Container, label: str = "test") -> Workspace:
    """A new workspace on the container's database; its API key is only known here."""
    created, key = await create_workspace(
        f"{label}-{secrets.token_hex(3)}", container.uow(), container.clock
    )
    return Workspace(created.id, key)
