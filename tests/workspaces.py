"""A workspace to test in, with its API key."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from warmintro.api.container import Container
from warmintro.domain.commands import CreateWorkspace


@dataclass(frozen=True)
class Workspace:
    id: uuid.UUID
    api_key: str
    name: str = ""


async def new_workspace(container: Container, label: str = "test") -> Workspace:
    """A new workspace on the container's database; its API key is only known here."""
    created = await container.use_cases(CreateWorkspace(f"{label}-{secrets.token_hex(3)}"))
    return Workspace(created.workspace.id, created.api_key, created.workspace.name)
