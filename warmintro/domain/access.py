"""Who is calling: workspace API keys and member tokens.

API keys are random, shown once, and stored only as a SHA-256 hash. The key
embeds its workspace id so the lookup is keyed by workspace like every table.
A member token is a short-lived signed token scoped to one person.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from warmintro.domain.errors import InvalidInput, NotPermitted, Unauthenticated
from warmintro.domain.people import Workspace
from warmintro.domain.ports import MemberTokenCodec, UnitOfWorkFactory

API_KEY_PREFIX = "wik_"


@dataclass(frozen=True, slots=True)
class Principal:
    workspace: Workspace
    person_id: uuid.UUID | None
    """The acting person: the token's person, or an API key's X-On-Behalf-Of."""
    operator: bool
    """True for a workspace API key: may manage people and see every request."""

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.workspace.id

    def actor(self) -> uuid.UUID:
        """The person taking a party's decision; an API key must name one."""
        if self.person_id is None:
            raise InvalidInput(
                "an API key acting for a party must send X-On-Behalf-Of", field="X-On-Behalf-Of"
            )
        return self.person_id

    def require_operator(self) -> None:
        if not self.operator:
            raise NotPermitted("this needs a workspace API key")

    def require_self_or_operator(self, person_id: uuid.UUID) -> None:
        if not self.operator and self.person_id != person_id:
            raise NotPermitted("a member token may only act on its own person")


def new_api_key(workspace_id: uuid.UUID) -> str:
    return f"{API_KEY_PREFIX}{workspace_id.hex}_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _key_workspace(key: str) -> uuid.UUID:
    try:
        ws_hex, secret = key[len(API_KEY_PREFIX) :].split("_", 1)
        if len(secret) < 32:
            raise ValueError(secret)
        return uuid.UUID(hex=ws_hex)
    except ValueError:
        raise Unauthenticated("malformed API key") from None


class Authenticator:
    """Resolves a bearer credential to a Principal; caches API keys and workspaces briefly.

    The cache keeps an API key's hot path to zero queries and a member token's to
    one (is the person still there); its TTL bounds how long a revoked key or a
    changed workspace setting lingers in one process.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        tokens: MemberTokenCodec,
        ttl_seconds: float = 30.0,
        max_entries: int = 10_000,
    ) -> None:
        self._uow = uow_factory
        self._tokens = tokens
        self._ttl = ttl_seconds
        self._max = max_entries
        self._keys: dict[str, tuple[float, Workspace]] = {}
        self._members: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, Workspace]] = {}

    async def authenticate(self, bearer: str | None, on_behalf_of: str | None) -> Principal:
        if not bearer:
            raise Unauthenticated("missing bearer credentials")
        if bearer.startswith(API_KEY_PREFIX):
            workspace = await self._workspace_for_key(bearer)
            person = _parse_person(on_behalf_of) if on_behalf_of else None
            return Principal(workspace, person, operator=True)
        workspace_id, person_id = self._tokens.verify(bearer)
        if on_behalf_of and _parse_person(on_behalf_of) != person_id:
            raise InvalidInput(
                "a member token acts only for its own person", field="X-On-Behalf-Of"
            )
        workspace = await self._member_workspace(workspace_id, person_id)
        return Principal(workspace, person_id, operator=False)

    def forget(self) -> None:
        self._keys.clear()
        self._members.clear()

    async def _workspace_for_key(self, key: str) -> Workspace:
        digest = hash_api_key(key)
        hit = self._keys.get(digest)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        workspace_id = _key_workspace(key)
        async with self._uow(write=False) as uow:
            if not await uow.api_keys.exists(workspace_id, digest):
                raise Unauthenticated("unknown API key")
            workspace = await uow.workspaces.get(workspace_id)
        if workspace is None:
            raise Unauthenticated("unknown API key")
        self._remember(self._keys, digest, workspace)
        return workspace

    async def _member_workspace(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Workspace:
        """A token outlives nothing: its person must still exist and not be erased.

        The person is read on every request (one primary-key lookup), so an erasure
        revokes the person's tokens at once in every process; only the workspace is
        cached."""
        key = (workspace_id, person_id)
        hit = self._members.get(key)
        cached = hit[1] if hit and hit[0] > time.monotonic() else None
        async with self._uow(write=False) as uow:
            person = await uow.people.get(workspace_id, person_id)
            workspace = cached or await uow.workspaces.get(workspace_id)
        if workspace is None or person is None or person.erased_at is not None:
            self._members.pop(key, None)
            raise Unauthenticated("token for a person who no longer exists")
        if cached is None:
            self._remember(self._members, key, workspace)
        return workspace

    def _remember(self, cache: dict, key: object, workspace: Workspace) -> None:  # type: ignore[type-arg]
        if len(cache) >= self._max:
            cache.clear()
        cache[key] = (time.monotonic() + self._ttl, workspace)


def _parse_person(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("X-On-Behalf-Of must be a person id", field="X-On-Behalf-Of") from None
