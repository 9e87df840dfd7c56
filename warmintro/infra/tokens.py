"""Every signed token warmintro issues, in one module (python-jose, HS256 only).

Each purpose signs with its own key derived from SECRET_KEY, and the header's
`kid` names the key, so SECRET_KEY can be rotated: old keys listed in
PREVIOUS_SECRET_KEYS keep verifying until their tokens expire. `aud` and `exp`
are required on every token and the algorithm list is fixed, so neither
`alg: none` nor a confused-deputy token from another purpose is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from jose import JWTError, jwt

from warmintro.domain.action_links import ActionClaims, Purpose
from warmintro.domain.errors import TokenExpired, Unauthenticated
from warmintro.domain.ports import Clock

ALGORITHM = "HS256"
ISSUER = "warmintro"
MEMBER_AUDIENCE = "warmintro:member"


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"warmintro/{purpose}".encode(), hashlib.sha256).digest()


def _kid(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


class SignedTokens:
    """Signs and verifies tokens for one purpose (`aud`)."""

    def __init__(self, secret_key: str, previous: list[str], audience: str, clock: Clock) -> None:
        self._audience = audience
        self._clock = clock
        self._signing = _derive(secret_key, audience)
        self._keys = {_kid(k): k for k in (_derive(s, audience) for s in [secret_key, *previous])}

    def sign(self, claims: dict[str, object], ttl: timedelta) -> tuple[str, datetime]:
        now = self._clock.now()
        expires = now + ttl
        body = {
            **claims,
            "iss": ISSUER,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(
            body, self._signing, algorithm=ALGORITHM, headers={"kid": _kid(self._signing)}
        )
        return token, expires

    def verify(self, token: str) -> dict[str, object]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise Unauthenticated("malformed token") from None
        key = self._keys.get(str(header.get("kid")))
        if key is None or header.get("alg") != ALGORITHM:
            raise Unauthenticated("token signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=ISSUER,
                # python-jose's require_exp checks exp against the wall clock even
                # with verify_exp off; exp is required and checked below against the
                # injected clock instead, so tests can move time.
                options={
                    "require_aud": True,
                    "require_iat": True,
                    "require_sub": True,
                    "verify_exp": False,
                },
            )
        except JWTError:
            raise Unauthenticated("invalid token") from None
        exp = claims.get("exp")
        if not isinstance(exp, int):
            raise Unauthenticated("token without an expiry")
        if exp <= self._clock.now().timestamp():
            raise TokenExpired("token expired")
        return dict(claims)


class MemberTokens:
    """Member tokens: `sub` is the person, `wid` the workspace."""

    def __init__(self, secret_key: str, previous: list[str], clock: Clock) -> None:
        self._tokens = SignedTokens(secret_key, previous, MEMBER_AUDIENCE, clock)

    def mint(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ttl: timedelta
    ) -> tuple[str, datetime]:
        return self._tokens.sign({"sub": str(person_id), "wid": str(workspace_id)}, ttl)

    def verify(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        claims = self._tokens.verify(token)
        try:
            return uuid.UUID(str(claims["wid"])), uuid.UUID(str(claims["sub"]))
        except (KeyError, ValueError):
            raise Unauthenticated("invalid token") from None


ACTION_AUDIENCE = "warmintro:action:"


class ActionTokens:
    """Tokens in email links: one person, one request, one purpose (its own `aud`)."""

    def __init__(
        self,
        secret_key: str,
        previous: list[str],
        clock: Clock,
        purposes: Iterable[str] = tuple(Purpose),
    ) -> None:
        self._tokens = {
            p: SignedTokens(secret_key, previous, ACTION_AUDIENCE + p, clock) for p in purposes
        }

    def mint(
        self,
        purpose: str,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        request_id: uuid.UUID | None,
        ttl: timedelta,
    ) -> tuple[str, datetime]:
        claims: dict[str, object] = {"sub": str(person_id), "wid": str(workspace_id)}
        if request_id is not None:
            claims["rid"] = str(request_id)
        return self._tokens[purpose].sign(claims, ttl)

    def verify(self, token: str) -> ActionClaims:
        try:
            audience = str(jwt.get_unverified_claims(token).get("aud", ""))
        except JWTError:
            raise Unauthenticated("malformed token") from None
        tokens = self._tokens.get(audience.removeprefix(ACTION_AUDIENCE))
        if tokens is None or not audience.startswith(ACTION_AUDIENCE):
            raise Unauthenticated("not an action link")
        claims = tokens.verify(token)
        try:
            rid = claims.get("rid")
            return ActionClaims(
                purpose=Purpose(audience.removeprefix(ACTION_AUDIENCE)),
                workspace_id=uuid.UUID(str(claims["wid"])),
                person_id=uuid.UUID(str(claims["sub"])),
                request_id=uuid.UUID(str(rid)) if rid else None,
            )
        except (KeyError, ValueError):
            raise Unauthenticated("invalid token") from None
