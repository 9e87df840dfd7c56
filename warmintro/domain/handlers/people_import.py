"""People in bulk: `POST /v1/people/import` and `warmintro import`.

Rows are checked here, all of them, before anything is written; then the good
ones are written in chunks of `CHUNK` rows, one transaction each, through the
repositories' bulk methods: one read of the chunk's people by email, one insert
of the new, one update of the changed, then the connections likewise. A crash
mid-import keeps the chunks already committed; the same import again completes
the rest and leaves those as they are. A connection is written with the chunk of
the later of its two people, so that both exist by then.

Connections name people by email, in the import or already in the workspace. A
connection already recorded takes the strength and context the row gives;
`mutual` adds the other direction where it is missing, and leaves one the other
person recorded already (their own account of the link), as `POST
/v1/people/{id}/connections` does. Importing people emits no webhook and no
email, as adding one person does not.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from warmintro.domain.access import Principal
from warmintro.domain.commands import ImportPeople, ImportPeopleInto
from warmintro.domain.errors import AlreadyExists, InvalidInput, NotFound
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.moving_on import move_on_from
from warmintro.domain.handlers.outbox import workspace_named
from warmintro.domain.ids import new_id
from warmintro.domain.people import Connection, Person, Workspace
from warmintro.domain.people_import import (
    CheckedRow,
    ImportReport,
    ImportRow,
    RowError,
    check_row,
    without_unknown_links,
)
from warmintro.domain.ports import EmailAddresses, UnitOfWork

CHUNK = 1000
ATTEMPTS = 3
"""A chunk whose new email someone else took meanwhile is read and written again."""

Pair = tuple[uuid.UUID, uuid.UUID]


async def import_people(cmd: ImportPeople, env: Env, principal: Principal) -> ImportReport:
    principal.require_operator()
    return await _import(env, principal.workspace, cmd.rows, cmd.rejected)


async def import_people_into(cmd: ImportPeopleInto, env: Env) -> ImportReport:
    async with env.uows(write=False) as uow:
        workspace = await uow.workspaces.get(await workspace_named(uow, cmd.workspace))
    if workspace is None:
        raise NotFound("workspace", cmd.workspace)
    return await _import(env, workspace, cmd.rows, cmd.rejected)


@dataclass
class Progress:
    """What the chunks written so far did, row by row (by line)."""

    ids: dict[str, uuid.UUID]
    """Email key -> id of everyone written or found so far."""
    created: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)


async def _import(
    env: Env, workspace: Workspace, rows: Iterable[ImportRow], rejected: Iterable[RowError]
) -> ImportReport:
    checked, errors = _checked(rows, env)
    errors.extend(rejected)
    good, refused, known = await _linkable(env, workspace, checked)
    errors.extend(refused)
    ordered = sorted(good.values(), key=lambda r: r.line)
    chunks = [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]
    chunk_of = {row.key: i // CHUNK for i, row in enumerate(ordered)}
    links_by_chunk: dict[int, list[tuple[CheckedRow, int]]] = defaultdict(list)
    for row in ordered:
        for i, link in enumerate(row.links):
            links_by_chunk[max(chunk_of[row.key], chunk_of.get(link.key, -1))].append((row, i))
    progress = Progress(ids={key: person.id for key, person in known.items()})
    now = env.clock.now()
    for index, chunk in enumerate(chunks):
        for attempt in range(ATTEMPTS):
            try:
                await _write_chunk(env, workspace, chunk, links_by_chunk[index], progress, now)
                break
            except AlreadyExists:
                if attempt == ATTEMPTS - 1:
                    raise
    changed = progress.changed - progress.created
    return ImportReport(
        created=len(progress.created),
        updated=len(changed),
        unchanged=len(ordered) - len(progress.created) - len(changed),
        errors=tuple(sorted(errors, key=lambda e: e.line)),
    )


async def _linkable(
    env: Env, workspace: Workspace, checked: dict[str, CheckedRow]
) -> tuple[dict[str, CheckedRow], list[RowError], dict[str, Person]]:
    """The rows whose connections all name someone, the rows refused for naming no
    one, and the people named who are in the workspace already. Only those named
    and not imported are looked up, and then any named whose row was refused."""
    named = {link.key for row in checked.values() for link in row.links}
    asked = named - checked.keys()
    async with env.uows(write=False) as uow:
        known = await uow.people.by_emails(workspace.id, asked)
        while True:
            good, refused = without_unknown_links(checked, set(known))
            more = (named - good.keys()) - asked
            if not more:
                return good, refused, known
            known |= await uow.people.by_emails(workspace.id, more)
            asked |= more


class _Remembered:
    """The workspace's address rules, each address checked once per import: the
    same people come back as the connections of others."""

    def __init__(self, addresses: EmailAddresses) -> None:
        self._addresses = addresses
        self._seen: dict[str, str | InvalidInput] = {}

    def normalise(self, raw: str) -> str:
        if raw not in self._seen:
            try:
                self._seen[raw] = self._addresses.normalise(raw)
            except InvalidInput as exc:
                self._seen[raw] = exc
        found = self._seen[raw]
        if isinstance(found, InvalidInput):
            raise InvalidInput(found.detail, **found.facts)
        return found


def _checked(rows: Iterable[ImportRow], env: Env) -> tuple[dict[str, CheckedRow], list[RowError]]:
    """Every row by the rules, by email key; an email a second time is refused."""
    checked: dict[str, CheckedRow] = {}
    errors: list[RowError] = []
    addresses = _Remembered(env.email_addresses)
    for row in rows:
        try:
            good = check_row(row, addresses)
        except InvalidInput as exc:
            errors.append(RowError(row.line, exc.facts.get("field"), exc.detail))
            continue
        first = checked.get(good.key)
        if first is not None:
            errors.append(RowError(row.line, "email", f"the same email as line {first.line}"))
            continue
        checked[good.key] = good
    return checked, errors


async def _write_chunk(
    env: Env,
    workspace: Workspace,
    chunk: list[CheckedRow],
    links: list[tuple[CheckedRow, int]],
    progress: Progress,
    now: datetime,
) -> None:
    """One transaction: the chunk's people, then the connections due with it. What it
    did joins `progress` only once committed."""
    ids: dict[str, uuid.UUID] = {}
    created: set[int] = set()
    changed: set[int] = set()
    async with env.uows() as uow:
        stored = await uow.people.by_emails(workspace.id, [row.key for row in chunk])
        new: list[Person] = []
        updated: list[Person] = []
        moving_on: list[uuid.UUID] = []
        for row in chunk:
            before = stored.get(row.key)
            if before is None:
                person = row.new_person(new_id(), workspace.id, now)
                new.append(person)
                created.add(row.line)
            else:
                person = row.applied_to(before, now)
                if person is not before:
                    updated.append(person)
                    changed.add(row.line)
                if person.preferences.never_contact and not before.preferences.never_contact:
                    moving_on.append(person.id)
            ids[row.key] = person.id
        await uow.people.add_many(new)
        await uow.people.update_many(updated)
        for person_id in moving_on:  # no one who asked not to be contacted keeps asks
            await move_on_from(uow, workspace, person_id, now)
        changed |= await _write_links(uow, workspace.id, links, progress.ids | ids, now)
        await uow.commit()
    progress.ids |= ids
    progress.created |= created
    progress.changed |= changed


async def _write_links(
    uow: UnitOfWork,
    workspace_id: uuid.UUID,
    links: list[tuple[CheckedRow, int]],
    ids: dict[str, uuid.UUID],
    now: datetime,
) -> set[int]:
    """Write the connections; answers the lines of the rows whose connections changed.
    A direction a row names outright wins over the same direction as another row's
    `mutual`."""
    named: dict[Pair, tuple[Connection, int]] = {}
    reverse: dict[Pair, tuple[Connection, int]] = {}
    for row, i in links:
        link = row.links[i]
        me, other = ids[row.key], ids[link.key]
        named[(me, other)] = (
            Connection(workspace_id, me, other, link.strength, link.context, now),
            row.line,
        )
        if link.mutual:
            reverse[(other, me)] = (
                Connection(workspace_id, other, me, link.strength, link.context, now),
                row.line,
            )
    stored = await uow.connections.among(workspace_id, named.keys() | reverse.keys())
    new: list[Connection] = []
    rewritten: list[Connection] = []
    changed: set[int] = set()
    for pair, (connection, line) in named.items():
        before = stored.get(pair)
        if before is None:
            new.append(connection)
        elif (before.strength, before.context) != (connection.strength, connection.context):
            rewritten.append(connection)
        else:
            continue
        changed.add(line)
    for pair, (connection, line) in reverse.items():
        if pair not in named and pair not in stored:
            new.append(connection)
            changed.add(line)
    await uow.connections.add_many(new)
    await uow.connections.update_many(rewritten)
    return changed
