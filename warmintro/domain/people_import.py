"""People in bulk: the rows of an import, what each row means, and the report.

A row is a person as a file gives them, found again by email (compared as stored:
the domain in lower case, then case-insensitively). A row is checked by the same
rules as one person added alone and goes in whole or not at all: a bad row is
reported (its line, the field, the reason, the first problem found) and the
others go in. What a row leaves out is kept on an update and takes its default
on a creation; repeating an import changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from warmintro.domain.errors import InvalidInput
from warmintro.domain.people import (
    Person,
    Preferences,
    check_link,
    normalize_email,
    normalize_tags,
    require_one_line,
)
from warmintro.domain.ports import EmailAddresses

MAX_CONNECTIONS = 500
"""Connections one row may name."""


@dataclass(frozen=True, slots=True)
class ImportedConnection:
    """ "The row's person knows `email`"; `mutual` records that `email` knows them too."""

    email: str
    strength: int
    context: str = ""
    mutual: bool = False


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One person as a file gives them. None is "not given": kept on an update,
    the default on a creation; `preferences` holds only the preferences given."""

    line: int
    """Where the row is, for the report: a CSV line (the header is line 1) or the
    position in a JSON array counting from 1."""
    email: str
    name: str
    headline: str | None = None
    expertise: tuple[str, ...] | None = None
    bio: str | None = None
    preferences: dict[str, Any] = field(default_factory=dict)
    connections: tuple[ImportedConnection, ...] = ()


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    """As the row names it (`email`, `connections[0].strength`); None for a row that
    could not be read at all."""
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    """Rows whose person, or connections, changed."""
    unchanged: int
    errors: tuple[RowError, ...]


@dataclass(frozen=True, slots=True)
class Link:
    key: str
    """The email key of the person known."""
    strength: int
    context: str
    mutual: bool


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A row that passed every rule, its email normalised and its text trimmed."""

    line: int
    email: str
    name: str
    headline: str | None
    expertise: tuple[str, ...] | None
    bio: str | None
    preferences: dict[str, Any]
    links: tuple[Link, ...]

    @property
    def key(self) -> str:
        return self.email.casefold()

    def new_person(self, person_id: uuid.UUID, workspace_id: uuid.UUID, now: datetime) -> Person:
        return Person(
            id=person_id,
            workspace_id=workspace_id,
            email=self.email,
            name=self.name,
            headline=self.headline or "",
            expertise=self.expertise or (),
            bio=self.bio or "",
            preferences=replace(Preferences(), **self.preferences),
            created_at=now,
            updated_at=now,
        )

    def applied_to(self, person: Person, now: datetime) -> Person:
        """The person as the row says; the very same object when nothing changes."""
        updated = replace(
            person,
            name=self.name,
            headline=person.headline if self.headline is None else self.headline,
            expertise=person.expertise if self.expertise is None else self.expertise,
            bio=person.bio if self.bio is None else self.bio,
            preferences=replace(person.preferences, **self.preferences),
        )
        return person if updated == person else replace(updated, updated_at=now)


def check_row(row: ImportRow, addresses: EmailAddresses) -> CheckedRow:
    """The row by the rules of `POST /v1/people` and of a connection; raises
    InvalidInput naming the field as the row does."""
    email = _email(row.email, addresses, "email")
    require_one_line(row.name, "name")
    require_one_line(row.headline or "", "headline")
    links: list[Link] = []
    if len(row.connections) > MAX_CONNECTIONS:
        raise InvalidInput(f"at most {MAX_CONNECTIONS} connections a row", field="connections")
    for i, c in enumerate(row.connections):
        at = f"connections[{i}]"
        key = _email(c.email, addresses, f"{at}.email").casefold()
        if key == email.casefold():
            raise InvalidInput("a person cannot be connected to themselves", field=f"{at}.email")
        if any(link.key == key for link in links):
            raise InvalidInput("this person is named twice in the row", field=f"{at}.email")
        try:
            check_link(c.strength, c.context)
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field=f"{at}.{exc.facts.get('field')}") from None
        links.append(Link(key, c.strength, c.context.strip(), c.mutual))
    checked = CheckedRow(
        line=row.line,
        email=email,
        name=row.name.strip(),
        headline=row.headline.strip() if row.headline is not None else None,
        expertise=normalize_tags(row.expertise) if row.expertise is not None else None,
        bio=row.bio.strip() if row.bio is not None else None,
        preferences=dict(row.preferences),
        links=tuple(links),
    )
    try:
        replace(Preferences(), **checked.preferences)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field=f"preferences.{exc.facts.get('field')}") from None
    checked.new_person(uuid.UUID(int=0), uuid.UUID(int=0), datetime.min)  # lengths
    return checked


def _email(raw: str, addresses: EmailAddresses, at: str) -> str:
    try:
        return normalize_email(addresses.normalise(raw))
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field=at) from None


def without_unknown_links(
    rows: dict[str, CheckedRow], known: set[str]
) -> tuple[dict[str, CheckedRow], list[RowError]]:
    """Rows whose connections all name someone in the import or in `known` (the
    workspace). A row naming a refused row goes too, and so on until none does."""
    kept, errors = dict(rows), []
    dropped = True
    while dropped:
        dropped = False
        for key, row in list(kept.items()):
            for i, link in enumerate(row.links):
                if link.key not in kept and link.key not in known:
                    errors.append(
                        RowError(
                            row.line,
                            f"connections[{i}].email",
                            "no one with this email in the workspace or among the rows imported",
                        )
                    )
                    del kept[key]
                    dropped = True
                    break
    return kept, errors
