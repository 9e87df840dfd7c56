"""A fake member-token codec: tokens are opaque strings it remembers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from warmintro.domain.errors import Unauthenticated


class FakeMemberTokenCodec:
    """Tokens are opaque strings the codec remembers; anything else is forged."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._issued: dict[str, tuple[uuid.UUID, uuid.UUID, datetime]] = {}
        self.verified = 0

    def mint(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ttl: timedelta
    ) -> tuple[str, datetime]:
        expires = self._now + ttl
        token = f"member.{uuid.uuid4().hex}"
        self._issued[token] = (workspace_id, person_id, expires)
        return token, expires

    def verify(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        """(workspace_id, person_id), or raise Unauthenticated."""
        self.verified += 1
        issued = self._issued.get(token)
        if issued is None:
            raise Unauthenticated("invalid token")
        workspace_id, person_id, expires = issued
        if expires <= self._now:
            raise Unauthenticated("token expired")
        return workspace_id, person_id
