"""Reading an import: a JSON array of person bodies, or CSV, into rows.

Each row is read by the rules of the `POST /v1/people` body (the same pydantic
model), so a row is refused for what that body would be; a row that cannot be
read is reported, never the whole import. Only what makes the whole file
unreadable (not JSON, not an array, a CSV without its header) refuses the body.

Lines: a CSV row is reported by the line it starts on, the header being line 1;
a JSON row by its position in the array, counting from 1.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from warmintro.api.schemas import Email, Input, PersonIn, Whole
from warmintro.domain.errors import InvalidInput
from warmintro.domain.people import MAX_CONTEXT
from warmintro.domain.people_import import (
    MAX_CONNECTIONS,
    ImportedConnection,
    ImportReport,
    ImportRow,
    RowError,
)

CSV_HEADER = ("email", "name", "headline", "expertise", "bio")
TAG_SEPARATOR = ";"
Read = tuple[list[ImportRow], list[RowError]]


class ImportConnectionIn(Input):
    email: Email = Field(description="Someone in this import or already in the workspace.")
    strength: Whole = Field(ge=1, le=5, description="1 = met once, 5 = close.")
    context: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = Field(
        default="", description="How they know each other."
    )
    mutual: bool = Field(
        default=False, strict=True, description="They know this person too (both directions)."
    )


class ImportPersonIn(PersonIn):
    """A person body of `POST /v1/people`, with the people they know by email. On an
    update, what the row leaves out stays as it is."""

    connections: list[ImportConnectionIn] = Field(default_factory=list, max_length=MAX_CONNECTIONS)


class RowErrorOut(BaseModel):
    line: int = Field(description="CSV: the line, the header being 1. JSON: the array index + 1.")
    field: str | None = Field(description="The field at fault; null if the row could not be read.")
    reason: str


class ImportReportOut(BaseModel):
    created: int
    updated: int = Field(description="Rows whose person or connections changed.")
    unchanged: int
    errors: list[RowErrorOut] = Field(description="Every refused row, by line; others went in.")

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        return cls(
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            errors=[
                RowErrorOut(line=e.line, field=e.field, reason=e.reason) for e in report.errors
            ],
        )


def read_body(body: bytes, content_type: str) -> Read:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            return read_json(json.loads(body))
        except (ValueError, RecursionError):
            raise InvalidInput("the body is not JSON", field="body") from None
    if media == "text/csv":
        try:
            return read_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InvalidInput("CSV is read as UTF-8", field="body") from None
    raise InvalidInput("send application/json or text/csv", field="Content-Type")


def read_file(path: Path) -> Read:
    """A file by its extension (.csv, .json), or else by its first character."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or (
        path.suffix.lower() != ".csv" and text.lstrip().startswith("[")
    ):
        try:
            return read_json(json.loads(text))
        except ValueError:
            raise InvalidInput(f"{path} is not JSON", field="file") from None
    return read_csv(text)


def read_json(data: object) -> Read:
    if not isinstance(data, list):
        raise InvalidInput("a JSON import is an array of person bodies", field="body")
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for line, item in enumerate(data, 1):
        _read(item, line, rows, errors)
    return rows, errors


def read_csv(text: str) -> Read:
    """Tags in the expertise column are separated by `;`; empty cells are empty text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    if next(reader, None) != list(CSV_HEADER):
        raise InvalidInput(
            f"a CSV import starts with the header {','.join(CSV_HEADER)}", field="body"
        )
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, None, f"not CSV: {exc}"))
            continue
        if not record:
            continue  # a blank line
        if len(record) != len(CSV_HEADER):
            errors.append(RowError(line, None, f"{len(record)} fields, the header has 5"))
            continue
        data: dict[str, Any] = dict(zip(CSV_HEADER, record, strict=True))
        data["expertise"] = [t for t in data["expertise"].split(TAG_SEPARATOR) if t.strip()]
        _read(data, line, rows, errors)
    return rows, errors


def _read(data: object, line: int, rows: list[ImportRow], errors: list[RowError]) -> None:
    try:
        body = ImportPersonIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        errors.append(RowError(line, _field(first["loc"]), first["msg"]))
        return
    given = body.model_fields_set
    prefs = body.preferences
    rows.append(
        ImportRow(
            line=line,
            email=body.email,
            name=body.name,
            headline=body.headline if "headline" in given else None,
            expertise=tuple(body.expertise) if "expertise" in given else None,
            bio=body.bio if "bio" in given else None,
            preferences={k: getattr(prefs, k) for k in prefs.model_fields_set},
            connections=tuple(
                ImportedConnection(c.email, c.strength, c.context, c.mutual)
                for c in body.connections
            ),
        )
    )


def _field(loc: tuple[int | str, ...]) -> str | None:
    """("connections", 0, "email") -> "connections[0].email"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or None
