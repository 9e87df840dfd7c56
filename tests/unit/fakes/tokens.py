"""Fake token codecs (member tokens, email links) and a fake address check."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from warmintro.domain.action_links import ActionClaims
from warmintro.domain.errors import InvalidInput, TokenExpired, Unauthenticated
from warmintro.domain.people import normalize_email
from warmintro.domain.ports import Clock


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


class FakeActionTokenCodec:
    """Link tokens are opaque strings it remembers with their claims; anything else is
    forged, and a remembered one past its lifetime has expired."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._issued: dict[str, tuple[ActionClaims, datetime]] = {}

    def mint(self, claims: ActionClaims) -> str:
        token = f"link.{uuid.uuid4().hex}"
        self._issued[token] = (claims, self._clock.now() + claims.purpose.lifetime)
        return token

    def verify(self, token: str) -> ActionClaims:
        issued = self._issued.get(token)
        if issued is None:
            raise Unauthenticated("not a link we issued")
        claims, expires = issued
        if expires <= self._clock.now():
            raise TokenExpired("link expired")
        return claims


class FakeAddressCheck:
    """Refuses the hosts it is told to, as the SSRF guard refuses private addresses."""

    def __init__(self, *, allow_http_loopback: bool = True) -> None:
        self.allow_http_loopback = allow_http_loopback
        self.refused_hosts: set[str] = set()
        self.checked: list[str] = []

    async def check(self, url: str) -> None:
        """Raise InvalidInput unless the URL's host resolves to addresses we may call."""
        self.checked.append(url)
        if urlsplit(url).hostname in self.refused_hosts:
            raise InvalidInput("the host resolves to a private address", field="url")


class FakeEmailAddresses:
    """The domain's own check, standard library only: one plain address, with none of
    `<>,;:"()[]\\`, whitespace or controls that could smuggle in a second one."""

    def normalise(self, raw: str) -> str:
        return normalize_email(raw)
