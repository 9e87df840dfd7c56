"""People, their preferences and connections, member tokens, erasure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from warmintro.domain.access import Principal
from warmintro.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownPerson,
)
from warmintro.domain.handlers.intro_requests import move_on_from
from warmintro.domain.ids import new_id
from warmintro.domain.people import (
    Connection,
    Person,
    Preferences,
    normalize_email,
    normalize_tags,
    require_one_line,
)
from warmintro.domain.ports import Clock, MemberTokenCodec, Page, UnitOfWork

MAX_TOKEN_TTL = timedelta(hours=24)
UNSET: object = object()


@dataclass(frozen=True, slots=True)
class CreatePerson:
    email: str
    name: str
    headline: str = ""
    expertise: tuple[str, ...] = ()
    bio: str = ""
    preferences: Preferences = field(default_factory=Preferences)


@dataclass(frozen=True, slots=True)
class UpdatePerson:
    """Only the fields given change; None means 'leave as is'."""

    person_id: uuid.UUID
    email: str | None = None
    name: str | None = None
    headline: str | None = None
    expertise: tuple[str, ...] | None = None
    bio: str | None = None
    ask_budget: int | object | None = UNSET
    snooze_until: datetime | object | None = UNSET
    never_contact: bool | None = None


@dataclass(frozen=True, slots=True)
class AddConnection:
    person_id: uuid.UUID
    other_id: uuid.UUID
    strength: int
    context: str = ""


async def create_person(
    cmd: CreatePerson, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Person:
    principal.require_operator()
    require_one_line(cmd.name, "name")
    require_one_line(cmd.headline, "headline")
    now = clock.now()
    person = Person(
        id=new_id(),
        workspace_id=principal.workspace_id,
        email=normalize_email(cmd.email),
        name=cmd.name.strip(),
        headline=cmd.headline.strip(),
        expertise=normalize_tags(cmd.expertise),
        bio=cmd.bio.strip(),
        preferences=cmd.preferences,
        created_at=now,
        updated_at=now,
    )
    async with uow:
        if await uow.people.get_by_email(principal.workspace_id, person.email) is not None:
            raise AlreadyExists("a person with this email already exists", field="email")
        await uow.people.add(person)
        await uow.commit()
    return person


async def get_person(person_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> Person:
    async with uow:
        return await visible_person(uow, principal, person_id)


async def list_people(
    uow: UnitOfWork,
    principal: Principal,
    *,
    expertise: str | None,
    q: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Page[Person]:
    """The workspace directory. Members cannot search by email: they see no one's."""
    tag = normalize_tags([expertise])[0] if expertise else None
    async with uow:
        return await uow.people.search(
            principal.workspace_id,
            expertise=tag,
            q=q.strip() if q else None,
            after=after,
            limit=limit,
            match_email=principal.operator,
        )


async def update_person(
    cmd: UpdatePerson, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Person:
    """People edit their own profile and preferences; an API key may edit anyone's."""
    async with uow:
        person = await visible_person(uow, principal, cmd.person_id)
        principal.require_self_or_operator(person.id)
        require_one_line(cmd.name or "", "name")
        require_one_line(cmd.headline or "", "headline")
        if cmd.email is not None and not principal.operator:
            # Action links go to this address, and a refusal would tell a member which
            # addresses exist: only the workspace (which verifies them) changes emails.
            raise NotPermitted("only a workspace API key may change an email address")
        prefs = person.preferences
        if cmd.ask_budget is not UNSET:
            prefs = replace(prefs, ask_budget=cmd.ask_budget)  # type: ignore[arg-type]
        if cmd.snooze_until is not UNSET:
            prefs = replace(prefs, snooze_until=cmd.snooze_until)  # type: ignore[arg-type]
        if cmd.never_contact is not None:
            prefs = replace(prefs, never_contact=cmd.never_contact)
        email = normalize_email(cmd.email) if cmd.email is not None else person.email
        if email.casefold() != person.email_key:
            other = await uow.people.get_by_email(principal.workspace_id, email)
            if other is not None:
                raise AlreadyExists("a person with this email already exists", field="email")
        updated = replace(
            person,
            email=email,
            name=cmd.name.strip() if cmd.name is not None else person.name,
            headline=cmd.headline.strip() if cmd.headline is not None else person.headline,
            expertise=normalize_tags(cmd.expertise)
            if cmd.expertise is not None
            else person.expertise,
            bio=cmd.bio.strip() if cmd.bio is not None else person.bio,
            preferences=prefs,
            updated_at=clock.now(),
        )
        if updated != person:
            await uow.people.update(updated)
            if updated.preferences.never_contact and not person.preferences.never_contact:
                await move_on_from(uow, principal.workspace, updated.id, clock.now())
            await uow.commit()
        return updated


async def add_connection(
    cmd: AddConnection, uow: UnitOfWork, clock: Clock, principal: Principal
) -> Connection:
    async with uow:
        person = await visible_person(uow, principal, cmd.person_id)
        principal.require_self_or_operator(person.id)
        other = await uow.people.get(principal.workspace_id, cmd.other_id)
        if other is None or other.erased_at is not None:
            raise UnknownPerson("person_id: no such person in this workspace", field="person_id")
        connection = Connection(
            workspace_id=principal.workspace_id,
            person_id=person.id,
            other_id=other.id,
            strength=cmd.strength,
            context=cmd.context.strip(),
            created_at=clock.now(),
        )
        await uow.connections.add(connection)
        await uow.commit()
    return connection


async def list_connections(
    person_id: uuid.UUID,
    uow: UnitOfWork,
    principal: Principal,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Page[Connection]:
    async with uow:
        person = await visible_person(uow, principal, person_id)
        principal.require_self_or_operator(person.id)
        return await uow.connections.page(
            principal.workspace_id, person.id, after=after, limit=limit
        )


async def mint_member_token(
    person_id: uuid.UUID,
    ttl: timedelta,
    uow: UnitOfWork,
    tokens: MemberTokenCodec,
    principal: Principal,
) -> tuple[str, datetime]:
    """A backend mints a short-lived token for a browser acting as one person."""
    principal.require_operator()
    if not timedelta(seconds=60) <= ttl <= MAX_TOKEN_TTL:
        raise InvalidInput("ttl_seconds must be between 60 and 86400", field="ttl_seconds")
    async with uow:
        person = await visible_person(uow, principal, person_id)
    return tokens.mint(principal.workspace_id, person.id, ttl)


async def visible_person(uow: UnitOfWork, principal: Principal, person_id: uuid.UUID) -> Person:
    person = await uow.people.get(principal.workspace_id, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person", person_id)
    return person
