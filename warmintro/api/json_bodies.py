"""The hot reads' response bodies, written straight to JSON bytes.

A route that returns a response model makes FastAPI validate it again against the
route's `response_model` before dumping it: for a page of 50 requests, building
and checking the models cost more CPU than the query. These routes return the
domain's views (or a slotted mirror of the schema) dumped by a prebuilt pydantic
serializer instead; the spec still comes from their `response_model`, and
tests/unit/test_json_bodies.py keeps the bytes equal to what the model would
write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from fastapi.responses import Response
from pydantic import TypeAdapter

from warmintro.domain.people import EmailStatus, Person, Preferences
from warmintro.domain.views import RequestView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageBody(Generic[T]):
    """`schemas.Page`, field for field."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PersonBody:
    """`schemas.PersonOut`, field for field; `Preferences` is `PreferencesOut`'s."""

    id: uuid.UUID
    name: str
    headline: str
    expertise: tuple[str, ...]
    bio: str
    email: str | None
    email_status: EmailStatus | None
    preferences: Preferences | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, person: Person, *, private: bool) -> PersonBody:
        return cls(
            person.id,
            person.name,
            person.headline,
            person.expertise,
            person.bio,
            person.email if private else None,
            person.email_status if private else None,
            person.preferences if private else None,
            person.created_at,
            person.updated_at,
        )


class JsonBody(Generic[T]):
    """A response body's serializer, built once."""

    def __init__(self, kind: type[T]) -> None:
        self._adapter = TypeAdapter(kind)

    def dump(self, value: T) -> bytes:
        return self._adapter.dump_json(value)

    def response(self, value: T, status_code: int = 200) -> Response:
        # The same response FastAPI makes of a response model: its default JSON body.
        return Response(self.dump(value), status_code, media_type="application/json")


REQUEST = JsonBody(RequestView)
REQUEST_PAGE = JsonBody(PageBody[RequestView])
PERSON = JsonBody(PersonBody)
PERSON_PAGE = JsonBody(PageBody[PersonBody])
