"""Issuing action links: a signed token in the email, its hash on record.

The plain token exists only in the email; the record (see
`repositories/action_links.py`) keeps its SHA-256 hash, so a leaked database
holds no working link.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.action_links import ActionClaims, ActionLink, Purpose, token_hash
from warmintro.domain.ports import Clock
from warmintro.infra.repositories.action_links import SqlActionLinks
from warmintro.infra.tokens import ActionTokens


class LinkIssuer:
    def __init__(self, tokens: ActionTokens, clock: Clock, base_url: str) -> None:
        self._tokens = tokens
        self._clock = clock
        self._base = base_url.rstrip("/")

    async def mint(
        self,
        conn: AsyncConnection,
        purpose: Purpose,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        request_id: uuid.UUID | None,
    ) -> str:
        """A new link's URL; its hash is recorded in `conn`'s transaction."""
        token, expires = self._tokens.mint(
            purpose, workspace_id, person_id, request_id, purpose.lifetime
        )
        claims = ActionClaims(purpose, workspace_id, person_id, request_id)
        link = ActionLink(claims, token_hash(token), self._clock.now(), expires)
        await SqlActionLinks(conn).add(link)
        return f"{self._base}/a/{token}"
