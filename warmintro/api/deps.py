"""Dependencies as `Annotated` aliases: the container, the caller, cursor pages,
`Idempotency-Key`, and bodies a caller may leave out."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar

from fastapi import Body, Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, TypeAdapter, ValidationError

from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.commands import Command

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

_bearer = HTTPBearer(
    auto_error=False,
    description=(
        "A workspace API key (`wik_…`) for backends, or a member token from "
        "`POST /v1/people/{id}/tokens` for a browser acting as one person."
    ),
)


# Dependencies are coroutines, classes only built inside them: FastAPI runs a plain
# function or a class given to Depends() in its thread pool, a thread hop per request.


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


class Caller:
    """The authenticated caller in front of the one use-case surface: routes hand it
    a command and get the use case's answer."""

    def __init__(self, container: Container, principal: Principal) -> None:
        self.principal = principal
        self._use_cases = container.use_cases

    async def __call__(self, cmd: Command[R]) -> R:
        return await self._use_cases(cmd, self.principal)


ON_BEHALF_OF = "X-On-Behalf-Of"
_person_id = TypeAdapter(uuid.UUID)


# One dependency, which reads its two headers itself: FastAPI's solving of nested
# dependencies and of header parameters, on every request, was a sixth of a read's CPU
# when the caller was three dependencies, and 6% still when it was two with a header.
# The spec declares both headers as parameters would (`declared_for_spec`).
async def get_caller(request: Request) -> Caller:
    container: Container = request.app.state.container
    credentials = await _bearer(request)
    principal = await container.auth.authenticate(
        credentials.credentials if credentials else None,
        _on_behalf_of(request.headers.get(ON_BEHALF_OF)),
    )
    return Caller(container, principal)


def _on_behalf_of(value: str | None) -> str | None:
    """The person's id in its one written form; a 422 as for any header parameter."""
    if value is None:
        return None
    try:
        return str(_person_id.validate_python(value))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("header", ON_BEHALF_OF)} for e in exc.errors(include_url=False)]
        ) from None


async def _declared_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    on_behalf_of: Annotated[
        uuid.UUID | None,
        Header(
            alias=ON_BEHALF_OF,
            description="With an API key: the id of the person taking a party's decision or "
            "whose view to return.",
        ),
    ] = None,
) -> None:
    """What `get_caller` reads, as the spec declares it: the bearer scheme and the header."""


def declared_for_spec(dependant: Dependant) -> Dependant:
    """`dependant` (a route's) with the caller declared as parameters, for the spec."""
    return replace(
        dependant,
        dependencies=[
            _DECLARED_CALLER if d.call is get_caller else declared_for_spec(d)
            for d in dependant.dependencies
        ],
    )


_DECLARED_CALLER = get_dependant(path="", call=_declared_caller)


CallerDep = Annotated[Caller, Depends(get_caller)]


# ---- cursor pagination ----------------------------------------------------------

ID_CURSOR = r"^(?:[A-Za-z0-9_-]{21}[AQgw])?$"
"""The 16 bytes of the last id returned, base64url without padding: 22 characters,
the last of which carries two bits. Every string of this form is a position, so
the pattern is the whole rule."""
SEQ_CURSOR = r"^(?:[A-Za-z0-9_-]{5}[AQgw])?$"
"""The last timeline position returned, as 4 bytes, base64url without padding."""


def encode_cursor(after: uuid.UUID | int | None) -> str | None:
    """An opaque cursor: the position of the last item returned."""
    if after is None:
        return None
    raw = after.bytes if isinstance(after, uuid.UUID) else after.to_bytes(4, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> bytes | None:
    if not cursor:
        return None
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _cursor(pattern: str) -> Any:
    return Query(pattern=pattern, description="`next_cursor` of the previous page")


Limit = Annotated[int, Query(ge=1, le=100)]


@dataclass(frozen=True, slots=True)
class PageParams:
    """A page of a list ordered by id."""

    after: uuid.UUID | None
    limit: int


@dataclass(frozen=True, slots=True)
class TimelinePageParams:
    """A page of a timeline, ordered by position."""

    after_seq: int | None
    limit: int


async def get_page(
    cursor: Annotated[str | None, _cursor(ID_CURSOR)] = None, limit: Limit = 20
) -> PageParams:
    raw = _decode(cursor)
    return PageParams(uuid.UUID(bytes=raw) if raw is not None else None, limit)


async def get_timeline_page(
    cursor: Annotated[str | None, _cursor(SEQ_CURSOR)] = None, limit: Limit = 20
) -> TimelinePageParams:
    raw = _decode(cursor)
    return TimelinePageParams(int.from_bytes(raw, "big") if raw is not None else None, limit)


PageDep = Annotated[PageParams, Depends(get_page)]
TimelinePageDep = Annotated[TimelinePageParams, Depends(get_timeline_page)]


# ---- Idempotency-Key ------------------------------------------------------------------


class Idempotency:
    """Runs a POST's command at most once per `Idempotency-Key` and caller: a retry
    with the same key and body replays the first response."""

    def __init__(
        self, request: Request, container: Container, caller: Caller, key: str | None
    ) -> None:
        self._request = request
        self._store = container.idempotency
        self._caller = caller
        self._key = key

    async def run(
        self, cmd: Command[R], render: Callable[[R], T], status_code: int = 200
    ) -> T | JSONResponse:
        if not self._key:
            return render(await self._caller(cmd))
        p = self._caller.principal
        who = f"{'key' if p.operator else 'member'}:{p.person_id or '-'}"
        body = await self._request.body()
        fingerprint = hashlib.sha256(
            b"%s %s\n%s" % (self._request.method.encode(), self._request.url.path.encode(), body)
        ).hexdigest()
        stored = await self._store.claim(p.workspace_id, who, self._key, fingerprint)
        if stored is not None:
            return JSONResponse(
                stored.body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
            )
        try:
            result = render(await self._caller(cmd))
        except BaseException:
            await self._store.release(p.workspace_id, who, self._key)
            raise
        payload: Any = jsonable_encoder(result)
        await self._store.complete(p.workspace_id, who, self._key, status_code, payload)
        return result


async def get_idempotency(
    request: Request,
    caller: CallerDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="Retry safely: the same key and body replay the first response.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(request, request.app.state.container, caller, key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


# ---- bodies a caller may leave out ----------------------------------------------------


def omittable(model: type[T]) -> Any:
    """A request body a caller may leave out, which means the model's defaults:
    `body: Annotated[AcceptIn, omittable(AcceptIn)]`. The spec declares it as the
    model itself and not required, never as "the model or null": a client generated
    from that sends the body when given one and no body at all when not (given a
    nullable body, openapi-python-client tries to send its own "unset" marker).
    JSON `null` is therefore not a body here (422)."""
    return Body(default_factory=model)
