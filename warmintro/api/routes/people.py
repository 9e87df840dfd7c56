"""People, connections and member tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.convertors import StringConvertor, register_url_convertor

from warmintro.api.deps import CallerDep, IdempotencyDep, PageDep, encode_cursor, omittable
from warmintro.api.import_files import CSV_HEADER, ImportReportOut, read_body
from warmintro.api.json_bodies import PERSON, PERSON_PAGE, PageBody, PersonBody
from warmintro.api.routes import PROBLEMS
from warmintro.api.schemas import (
    NO_NUL,
    ConnectionIn,
    ConnectionOut,
    ExportedEvent,
    IntroRequestOut,
    KnownBy,
    Page,
    PersonExport,
    PersonIn,
    PersonOut,
    PersonPatch,
    TokenIn,
    TokenOut,
)
from warmintro.domain import commands as cmd
from warmintro.domain.access import Principal
from warmintro.domain.people import Person, Preferences


class PersonSegment(StringConvertor):
    """`/v1/people/{person_id}` is any segment but `import`, so that another method
    on `/v1/people/import` is a 405 and not a person id that is no UUID (422). The
    id itself is still validated (and refused with 422) as before."""

    regex = "(?!import$)[^/]+"


register_url_convertor("person", PersonSegment())
router = APIRouter(prefix="/v1/people", tags=["people"], responses=PROBLEMS)


def _private(person: Person, principal: Principal) -> bool:
    """Email and preferences: to API keys and to the person themself only."""
    return principal.operator or principal.person_id == person.id


def _out(person: Person, principal: Principal) -> PersonOut:
    return PersonOut.of(person, private=_private(person, principal))


def _body(person: Person, principal: Principal) -> PersonBody:
    return PersonBody.of(person, private=_private(person, principal))


@router.post("", status_code=201, response_model=PersonOut)
async def create_person(
    body: PersonIn, caller: CallerDep, idem: IdempotencyDep
) -> PersonOut | JSONResponse:
    """Add a person to the workspace (API key only). Emails are unique per workspace."""
    create = cmd.CreatePerson(
        email=body.email,
        name=body.name,
        headline=body.headline,
        expertise=tuple(body.expertise),
        bio=body.bio,
        preferences=Preferences(**body.preferences.model_dump()),
    )
    return await idem.run(create, lambda p: _out(p, caller.principal), 201)


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {},
                    "description": "Person bodies as `POST /v1/people` takes them (`email`, "
                    "`name`, `headline`, `expertise`, `bio`, `preferences`), each with "
                    "optional `connections`: `[{email, strength, context, mutual}]` naming "
                    "people in this import or already in the workspace. A row that is not "
                    "such a body is reported in `errors`, by its index + 1.",
                }
            },
            "text/csv": {
                "schema": {
                    "type": "string",
                    "pattern": f"^{','.join(CSV_HEADER)}(\\r?\\n|$)",
                    "description": f"A header `{','.join(CSV_HEADER)}`, then a person a "
                    "line; expertise tags separated by `;`. Rows are reported by line, the "
                    "header being line 1.",
                }
            },
        },
    }
}


@router.post("/import", response_model=ImportReportOut, openapi_extra=IMPORT_BODY)
async def import_people(request: Request, idem: IdempotencyDep) -> ImportReportOut | JSONResponse:
    """People in bulk (API key only), up to 16 MiB: a JSON
    array or CSV. Each row is found by email and created, updated or left unchanged,
    whole or not at all: a bad row is reported in `errors` and the others go in.
    Repeating an import changes nothing. Connections name people by email; a pair
    connected already takes the row's strength and context, and `mutual` adds the
    other direction unless that person recorded it already. No webhook or email."""
    rows, rejected = read_body(await request.body(), request.headers.get("content-type", ""))
    return await idem.run(cmd.ImportPeople(tuple(rows), tuple(rejected)), ImportReportOut.of)


@router.get("", response_model=Page[PersonOut])
async def list_people(
    caller: CallerDep,
    page: PageDep,
    expertise: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="Exact expertise tag")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description=(
                "Words, all of which must match, in any order: in the expertise tags,"
                " headline or bio (whatever the case, plurals too; never part of a"
                " word), or as the start of a word of the name. With an API key, text"
                " with an @ or a dot also matches part of an email address."
            ),
        ),
    ] = None,
) -> Response:
    """The workspace's people, oldest first. Members see no one's email but their own."""
    result = await caller(
        cmd.ListPeople(expertise=expertise, q=q, after=page.after, limit=page.limit)
    )
    items = [_body(p, caller.principal) for p in result.items]
    return PERSON_PAGE.response(PageBody(items, encode_cursor(result.next_after)))


@router.get("/{person_id:person}", response_model=PersonOut)
async def get_person(person_id: uuid.UUID, caller: CallerDep) -> Response:
    return PERSON.response(_body(await caller(cmd.GetPerson(person_id)), caller.principal))


@router.patch("/{person_id:person}", response_model=PersonOut)
async def update_person(person_id: uuid.UUID, body: PersonPatch, caller: CallerDep) -> PersonOut:
    """Change a profile or preferences: the person themself, or an API key."""
    fields = body.model_dump(exclude_unset=True)
    prefs = fields.pop("preferences", None) or {}
    if "expertise" in fields and fields["expertise"] is not None:
        fields["expertise"] = tuple(fields["expertise"])
    update = cmd.UpdatePerson(person_id=person_id, **fields, **prefs)
    return _out(await caller(update), caller.principal)


@router.delete("/{person_id:person}", status_code=204, response_class=Response)
async def erase_person(person_id: uuid.UUID, caller: CallerDep) -> Response:
    """Erasure: removes the person's name, email, bio and the text they wrote;
    their events stay in timelines under an opaque id."""
    await caller(cmd.ErasePerson(person_id))
    return Response(status_code=204)


@router.get("/{person_id}/export", response_model=PersonExport)
async def export_person(person_id: uuid.UUID, caller: CallerDep) -> PersonExport:
    """Everything held about the person: profile, preferences, connections, the requests
    they are a party to (as they see them) and the events they caused."""
    data = await caller(cmd.ExportPerson(person_id))
    return PersonExport(
        person=PersonOut.of(data.person, private=True),
        connections=[ConnectionOut.of(x) for x in data.connections],
        known_by=[
            KnownBy(
                person_id=x.person_id,
                strength=x.strength,
                context=x.context,
                created_at=x.created_at,
            )
            for x in data.known_by
        ],
        intro_requests=[IntroRequestOut.of(r) for r in data.requests],
        events=[
            ExportedEvent(
                id=e.id,
                request_id=e.request_id,
                type=e.type,
                data=e.data,
                occurred_at=e.occurred_at,
            )
            for e in data.events
        ],
    )


@router.post("/{person_id}/connections", status_code=201, response_model=ConnectionOut)
async def add_connection(
    person_id: uuid.UUID, body: ConnectionIn, idem: IdempotencyDep
) -> ConnectionOut | JSONResponse:
    """Record that this person knows `person_id`, how well and from where; with
    `mutual`, that `person_id` knows them too. A pair already connected is a 409."""
    add = cmd.AddConnection(
        person_id=person_id,
        other_id=body.person_id,
        strength=body.strength,
        context=body.context,
        mutual=body.mutual,
    )
    return await idem.run(add, ConnectionOut.of, 201)


@router.get("/{person_id}/connections", response_model=Page[ConnectionOut])
async def list_connections(
    person_id: uuid.UUID, caller: CallerDep, page: PageDep
) -> Page[ConnectionOut]:
    result = await caller(cmd.ListConnections(person_id, after=page.after, limit=page.limit))
    return Page(
        items=[ConnectionOut.of(x) for x in result.items],
        next_cursor=encode_cursor(result.next_after),
    )


@router.post("/{person_id}/tokens", status_code=201, response_model=TokenOut)
async def mint_member_token(
    person_id: uuid.UUID, caller: CallerDep, body: Annotated[TokenIn, omittable(TokenIn)]
) -> TokenOut:
    """A short-lived member token for this person (API key only): it sees only
    requests the person is a party to. The body (its lifetime) may be left out."""
    ttl = timedelta(seconds=body.ttl_seconds)
    minted = await caller(cmd.MintMemberToken(person_id, ttl))
    return TokenOut(token=minted.token, person_id=minted.person_id, expires_at=minted.expires_at)
