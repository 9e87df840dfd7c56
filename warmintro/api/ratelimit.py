"""Rate limits at the door, before any credential is looked up.

- Every request with an API key counts against that key, and every request with
  a member token against that token.
- Every email-link page (`/a/...`) counts against the client's address.
- A refused credential counts against the client's address: a 401 to a request
  that sent one, or a link page answering 404 (a token never issued, as a guess
  would be). Once an address has used up that limit, its credentialed requests
  and link pages are refused until the window frees, valid or not: otherwise
  the answer would tell a guesser which guess was right.
- Requests with no credential, and anything outside the API (`/v1/...`) and the
  link pages (health, metrics, the spec), are not limited.

Over a limit, the JSON API answers 429 problem+json (`rate_limited`) and a link
page a 429 page, both with `Retry-After`. IPv6 clients are counted by their /64,
the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmintro.api.pages import too_many_requests
from warmintro.api.problems import problem
from warmintro.domain.access import API_KEY_PREFIX
from warmintro.infra.rate_limits import RateLimits, Rule

LINK_PAGES = "/a/"
API = "/v1/"
DETAIL = {
    Rule.API_KEY: "too many requests with this API key",
    Rule.MEMBER: "too many requests with this member token",
    Rule.AUTH_FAILURES: "too many refused credentials from this address",
}


def client_address(scope: Scope) -> str:
    """The client's address, an IPv6 one as its /64 (uvicorn puts a trusted proxy's
    `X-Forwarded-For` here; see `FORWARDED_ALLOW_IPS`)."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            header: str = value.decode("latin-1")
            scheme, _, credential = header.partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                return credential.strip()
    return None


def refused_credential(scope: Scope, status: int, credential: str | None) -> bool:
    if scope["path"].startswith(LINK_PAGES):
        return status == 404
    return status == 401 and credential is not None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        link = path.startswith(LINK_PAGES)
        credential = bearer(scope) if path.startswith(API) else None
        if not link and credential is None:
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        rule, who = Rule.AUTH_FAILURES, address
        wait = await self.limits.spent(rule, who)
        if wait is None:
            rule, who = _counted_under(credential, address)
            wait = await self.limits.take(rule, who)
        if wait is not None:
            await _refusal(scope, link, rule, wait)(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if refused_credential(scope, status, credential):
            await self.limits.take(Rule.AUTH_FAILURES, address)


def _counted_under(credential: str | None, address: str) -> tuple[Rule, str]:
    """An API request counts against its credential, a link page against its address."""
    if credential is None:
        return Rule.LINK_PAGES, address
    return (Rule.API_KEY if credential.startswith(API_KEY_PREFIX) else Rule.MEMBER), credential


def _refusal(scope: Scope, link: bool, rule: Rule, wait: int) -> ASGIApp:
    if link:
        return too_many_requests(wait)
    return problem(
        429,
        "rate_limited",
        "Too many requests",
        f"{DETAIL.get(rule, 'too many requests')}; retry after {wait} s",
        Request(scope),
        {"Retry-After": str(wait)},
        limit=rule.value,
    )
