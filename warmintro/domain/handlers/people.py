"""People, their preferences and connections, and member tokens."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import TypeVar

from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    UNSET,
    AddConnection,
    CreatePerson,
    GetPerson,
    ListConnections,
    ListPeople,
    MemberToken,
    MintMemberToken,
    NewPerson,
    UpdatePerson,
)
from warmintro.domain.errors import AlreadyExists, InvalidInput, NotPermitted, UnknownPerson
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import visible_person
from warmintro.domain.handlers.moving_on import move_on_from
from warmintro.domain.ids import new_id
from warmintro.domain.people import (
    Connection,
    Person,
    normalize_email,
    normalize_tags,
    require_one_line,
)
from warmintro.domain.ports import EmailAddresses, Page, UnitOfWork

MAX_TOKEN_TTL = timedelta(hours=24)
MIN_TOKEN_TTL = timedelta(seconds=60)

D = TypeVar("D")


def with_valid_addresses(decision: D, addresses: EmailAddresses) -> D:
    """The decision with the email of every new person it names (a new expert, a new
    connector) validated and normalised, before anything is looked up by it."""
    named = {}
    for f in fields(decision):  # type: ignore[arg-type]
        value = getattr(decision, f.name)
        if not isinstance(value, NewPerson):
            continue
        try:
            named[f.name] = replace(value, email=addresses.normalise(value.email))
        except InvalidInput as exc:  # name the field as the body does: expert.email
            raise InvalidInput(exc.detail, field=f"{f.name}.email") from None
    return replace(decision, **named) if named else decision  # type: ignore[type-var]


async def create_person(cmd: CreatePerson, env: Env, principal: Principal) -> Person:
    principal.require_operator()
    require_one_line(cmd.name, "name")
    require_one_line(cmd.headline, "headline")
    now = env.clock.now()
    person = Person(
        id=new_id(),
        workspace_id=principal.workspace_id,
        email=normalize_email(env.email_addresses.normalise(cmd.email)),
        name=cmd.name.strip(),
        headline=cmd.headline.strip(),
        expertise=normalize_tags(cmd.expertise),
        bio=cmd.bio.strip(),
        preferences=cmd.preferences,
        created_at=now,
        updated_at=now,
    )
    async with env.uows() as uow:
        if await uow.people.get_by_email(principal.workspace_id, person.email) is not None:
            raise AlreadyExists("a person with this email already exists", field="email")
        await uow.people.add(person)
        await uow.commit()
    return person


async def get_person(cmd: GetPerson, env: Env, principal: Principal) -> Person:
    async with env.uows(write=False) as uow:
        return await visible_person(uow, principal, cmd.person_id)


async def list_people(cmd: ListPeople, env: Env, principal: Principal) -> Page[Person]:
    """The workspace directory. Members cannot search by email: they see no one's. A
    blank filter (`expertise`, `q`) filters nothing, as an absent one."""
    blank = not (cmd.expertise or "").strip()
    tag = None if blank else normalize_tags([cmd.expertise or ""])[0]
    async with env.uows(write=False) as uow:
        return await uow.people.search(
            principal.workspace_id,
            expertise=tag,
            q=cmd.q.strip() if cmd.q else None,
            after=cmd.after,
            limit=cmd.limit,
            match_email=principal.operator,
        )


async def update_person(cmd: UpdatePerson, env: Env, principal: Principal) -> Person:
    """People edit their own profile and preferences; an API key may edit anyone's."""
    if cmd.email is not None and principal.operator:
        # A member may not change an email at all: update_in says so, whatever it is.
        cmd = replace(cmd, email=env.email_addresses.normalise(cmd.email))
    async with env.uows() as uow:
        updated = await update_in(uow, principal, cmd, env.clock.now())
        await uow.commit()
    return updated


async def update_in(
    uow: UnitOfWork, principal: Principal, cmd: UpdatePerson, now: datetime
) -> Person:
    """The update in `uow`'s transaction (the caller commits). Someone who asks never
    to be contacted again is not left holding asks: those move on at once."""
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
    if cmd.discoverable is not None:
        prefs = replace(prefs, discoverable=cmd.discoverable)
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
        expertise=normalize_tags(cmd.expertise) if cmd.expertise is not None else person.expertise,
        bio=cmd.bio.strip() if cmd.bio is not None else person.bio,
        preferences=prefs,
        updated_at=now,
    )
    if updated == person:
        return person
    await uow.people.update(updated)
    if updated.preferences.never_contact and not person.preferences.never_contact:
        await move_on_from(uow, principal.workspace, updated.id, now)
    return updated


async def add_connection(cmd: AddConnection, env: Env, principal: Principal) -> Connection:
    """Record that the person knows `other_id`; a pair already connected is refused
    (AlreadyExists), so repeating a call changes nothing. `mutual` records the reverse
    in the same transaction with the same strength and context, unless the other
    person already recorded how they know this one: theirs is left as it is."""
    async with env.uows() as uow:
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
            created_at=env.clock.now(),
        )
        await uow.connections.add(connection)
        back = (other.id, person.id)
        if cmd.mutual and not await uow.connections.among(principal.workspace_id, [back]):
            await uow.connections.add(replace(connection, person_id=back[0], other_id=back[1]))
        await uow.commit()
    return connection


async def list_connections(
    cmd: ListConnections, env: Env, principal: Principal
) -> Page[Connection]:
    async with env.uows(write=False) as uow:
        person = await visible_person(uow, principal, cmd.person_id)
        principal.require_self_or_operator(person.id)
        return await uow.connections.page(
            principal.workspace_id, person.id, after=cmd.after, limit=cmd.limit
        )


async def mint_member_token(cmd: MintMemberToken, env: Env, principal: Principal) -> MemberToken:
    """A backend mints a short-lived token for a browser acting as one person."""
    principal.require_operator()
    if not MIN_TOKEN_TTL <= cmd.ttl <= MAX_TOKEN_TTL:
        raise InvalidInput("ttl_seconds must be between 60 and 86400", field="ttl_seconds")
    async with env.uows(write=False) as uow:
        person = await visible_person(uow, principal, cmd.person_id)
    token, expires = env.member_tokens.mint(principal.workspace_id, person.id, cmd.ttl)
    return MemberToken(token, person.id, expires)
