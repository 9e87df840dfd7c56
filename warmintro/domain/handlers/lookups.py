"""Loading what the caller may see, or failing as if it did not exist (404, never 403)."""

from __future__ import annotations

import uuid

from warmintro.domain.access import Principal
from warmintro.domain.errors import NotFound, UnknownPerson
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Person
from warmintro.domain.ports import UnitOfWork
from warmintro.domain.views import Viewer, viewer_of


async def visible_request(
    uow: UnitOfWork, principal: Principal, request_id: uuid.UUID
) -> tuple[IntroRequest, Viewer]:
    request = await uow.requests.get(principal.workspace_id, request_id)
    viewer = viewer_of(request, principal.person_id) if request else None
    if request is None or viewer is None:
        raise NotFound("intro request", request_id)
    return request, viewer


async def visible_person(uow: UnitOfWork, principal: Principal, person_id: uuid.UUID) -> Person:
    person = await uow.people.get(principal.workspace_id, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person", person_id)
    return person


def require_known(people: dict[uuid.UUID, Person], ident: uuid.UUID | None, name: str) -> None:
    """A person id given in input must name someone in the workspace (422 otherwise)."""
    if ident is None:
        return
    person = people.get(ident)
    if person is None or person.erased_at is not None:
        raise UnknownPerson(f"{name}: no such person in this workspace", field=name)
