"""Action links: the signed, expiring, single-purpose tokens in emails.

A link lets one person take one decision on one request. The token is signed
(see tokens.py) and also recorded server-side, only as its SHA-256 hash, so a
decision link works once and any link can be revoked. The plain token exists
only in the email.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.ports import Clock
from warmintro.infra.tables import action_links
from warmintro.infra.tokens import ActionClaims, ActionTokens


class Purpose(StrEnum):
    CONNECTOR = "connector"
    EXPERT = "expert"
    ASKER = "asker"
    UNSUBSCRIBE = "unsubscribe"


ACTIONS: dict[Purpose, tuple[str, ...]] = {
    Purpose.CONNECTOR: ("propose", "forward", "decline"),
    Purpose.EXPERT: ("accept", "decline"),
    Purpose.ASKER: ("feedback",),
    Purpose.UNSUBSCRIBE: ("unsubscribe",),
}
"""What each link may do. Unsubscribing may be repeated; the others are single-use."""

TTL: dict[Purpose, timedelta] = {
    Purpose.CONNECTOR: timedelta(days=14),
    Purpose.EXPERT: timedelta(days=14),
    Purpose.ASKER: timedelta(days=30),
    Purpose.UNSUBSCRIBE: timedelta(days=365),
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ActionLink:
    claims: ActionClaims
    token_hash: str
    used_at: datetime | None
    used_action: str | None

    @property
    def purpose(self) -> Purpose:
        return Purpose(self.claims.purpose)


class ActionLinks:
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
        """A new link's URL; its hash is written on `conn`'s transaction."""
        token, expires = self._tokens.mint(
            purpose.value, workspace_id, person_id, request_id, TTL[purpose]
        )
        await conn.execute(
            action_links.insert().values(
                workspace_id=workspace_id,
                token_hash=token_hash(token),
                request_id=request_id,
                person_id=person_id,
                purpose=purpose.value,
                expires_at=expires,
                created_at=self._clock.now(),
            )
        )
        return f"{self._base}/a/{token}"

    async def resolve(self, conn: AsyncConnection, token: str) -> ActionLink | None:
        """The link, or None if it was never issued (or was revoked).
        Raises Unauthenticated for a forged token, TokenExpired for an old one."""
        claims = self._tokens.verify(token)
        digest = token_hash(token)
        row = (
            await conn.execute(
                sa.select(action_links).where(
                    action_links.c.workspace_id == claims.workspace_id,
                    action_links.c.token_hash == digest,
                )
            )
        ).first()
        if row is None or row.person_id != claims.person_id:
            return None
        return ActionLink(claims, digest, row.used_at, row.used_action)

    async def mark_used(self, conn: AsyncConnection, link: ActionLink, action: str) -> None:
        await conn.execute(
            action_links.update()
            .where(
                action_links.c.workspace_id == link.claims.workspace_id,
                action_links.c.token_hash == link.token_hash,
                action_links.c.used_at.is_(None),
            )
            .values(used_at=self._clock.now(), used_action=action)
        )
