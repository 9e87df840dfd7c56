"""Dependencies as `Annotated` aliases: the container, the caller, units of work."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.errors import InvalidInput
from warmintro.domain.ports import UnitOfWork

T = TypeVar("T", bound=BaseModel)

_bearer = HTTPBearer(
    auto_error=False,
    description=(
        "A workspace API key (`wik_…`) for backends, or a member token from "
        "`POST /v1/people/{id}/tokens` for a browser acting as one person."
    ),
)


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_principal(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    on_behalf_of: Annotated[
        str | None,
        Header(
            alias="X-On-Behalf-Of",
            description="With an API key: the person taking a party's decision or whose view "
            "to return.",
        ),
    ] = None,
) -> Principal:
    return await container.auth.authenticate(
        credentials.credentials if credentials else None, on_behalf_of
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def write_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow(write=True)


def read_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow(write=False)


UowDep = Annotated[UnitOfWork, Depends(write_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(read_uow)]


# ---- cursor pagination ----------------------------------------------------------


def encode_cursor(after: uuid.UUID | None) -> str | None:
    return base64.urlsafe_b64encode(after.bytes).decode().rstrip("=") if after else None


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except ValueError:
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


class PageParams:
    def __init__(
        self,
        cursor: Annotated[
            str | None, Query(max_length=64, description="`next_cursor` of the previous page")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> None:
        self.after = decode_cursor(cursor)
        self.limit = limit


PageDep = Annotated[PageParams, Depends()]


# ---- Idempotency-Key ------------------------------------------------------------------


class Idempotency:
    """Runs a POST's use case at most once per `Idempotency-Key` and caller."""

    def __init__(
        self,
        request: Request,
        container: ContainerDep,
        principal: PrincipalDep,
        key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                max_length=255,
                description="Retry safely: the same key and body replay the first response.",
            ),
        ] = None,
    ) -> None:
        self._request = request
        self._store = container.idempotency
        self._principal = principal
        self._key = key

    async def run(
        self, use_case: Callable[[], Awaitable[T]], status_code: int = 200
    ) -> T | JSONResponse:
        if not self._key:
            return await use_case()
        p = self._principal
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
            result = await use_case()
        except BaseException:
            await self._store.release(p.workspace_id, who, self._key)
            raise
        payload: Any = jsonable_encoder(result)
        await self._store.complete(p.workspace_id, who, self._key, status_code, payload)
        return result


IdempotencyDep = Annotated[Idempotency, Depends()]
