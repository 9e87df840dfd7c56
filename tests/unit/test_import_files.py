"""Reading an import: CSV rows by the line they start on (the header is line 1),
JSON rows by their position counting from 1, each read by the rules of the
`POST /v1/people` body; only a file that cannot be read at all is refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmintro.api.import_files import read_body, read_csv, read_file, read_json
from warmintro.domain.errors import InvalidInput
from warmintro.domain.people_import import ImportedConnection, RowError

HEADER = "email,name,headline,expertise,bio\n"


def test_csv_rows_carry_every_column_and_tags_split_on_semicolons() -> None:
    rows, errors = read_csv(HEADER + "ann@example.org,Ann,CFO, SaaS ; pricing;,\n")

    assert errors == []
    assert len(rows) == 1
    ann = rows[0]
    assert (ann.line, ann.email, ann.name, ann.headline, ann.bio) == (
        2,
        "ann@example.org",
        "Ann",
        "CFO",
        "",
    )
    assert ann.expertise == (" SaaS ", " pricing")
    assert (ann.preferences, ann.connections) == ({}, ())


def test_csv_rows_are_reported_by_the_line_they_start_on() -> None:
    text = (
        HEADER
        + 'bob@example.org,Bob,,,"a bio\non two lines"\n'
        + "\n"
        + "short,row\n"
        + "cat@example.org,,,,\n"
        + "dan@example.org,Dan,,,\n"
    )

    rows, errors = read_csv(text)

    assert [r.line for r in rows] == [2, 7]
    assert errors == [
        RowError(5, None, "2 fields, the header has 5"),
        RowError(6, "name", "String should have at least 1 character"),
    ]


@pytest.mark.parametrize(
    "text",
    ["", "name,email\n", "email,name,headline,expertise\n", "Email,Name,Headline,Expertise,Bio\n"],
)
def test_a_csv_without_its_header_is_refused_whole(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_csv(text)

    assert refused.value.facts["field"] == "body"


def test_json_rows_are_person_bodies_with_connections_by_email() -> None:
    rows, errors = read_json(
        [
            {
                "email": "ann@example.org",
                "name": "Ann",
                "preferences": {"discoverable": False},
                "connections": [{"email": "bob@example.org", "strength": 4, "mutual": True}],
            },
            {"email": "bob@example.org", "name": "Bob", "headline": ""},
        ]
    )

    assert errors == []
    ann, bob = rows
    assert (ann.line, ann.headline, ann.expertise, ann.bio) == (1, None, None, None)
    assert ann.preferences == {"discoverable": False}
    assert ann.connections == (ImportedConnection("bob@example.org", 4, "", True),)
    assert (bob.line, bob.headline) == (2, "")


def test_json_rows_that_break_the_body_rules_are_reported_by_position() -> None:
    rows, errors = read_json(
        [
            "not a person",
            {"email": "ann@example.org", "name": "Ann", "nickname": "A"},
            {"email": "bob@example.org", "name": "Bob", "connections": [{"email": "x@y.org"}]},
            {"email": "cat@example.org", "name": "Cat", "preferences": {"ask_budget": "5"}},
            {"email": "dan@example.org", "name": "Dan\u0000"},
            {"email": "eve@example.org", "name": "Eve"},
        ]
    )

    assert [r.line for r in rows] == [6]
    assert [(e.line, e.field) for e in errors] == [
        (1, None),
        (2, "nickname"),
        (3, "connections[0].strength"),
        (4, "preferences.ask_budget"),
        (5, None),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        (b'{"email": "a@example.org"}', "application/json", "body"),
        (b"[", "application/json", "body"),
        (b"\xff\xfe", "text/csv", "body"),
        (b"email,name\n", "text/plain", "Content-Type"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_whole(
    body: bytes, content_type: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_body(body, content_type)

    assert refused.value.facts["field"] == field


def test_a_body_is_read_by_its_content_type() -> None:
    as_csv = read_body(
        ("\ufeff" + HEADER + "ann@example.org,Ann,,,\n").encode(), "text/csv; charset=utf-8"
    )
    as_json = read_body(b'[{"email": "ann@example.org", "name": "Ann"}]', "application/json")

    assert [r.email for r in as_csv[0]] == [r.email for r in as_json[0]] == ["ann@example.org"]


def test_a_file_is_read_by_its_extension_or_else_its_content(tmp_path: Path) -> None:
    people = tmp_path / "people"
    people.write_text('[{"email": "ann@example.org", "name": "Ann"}]')
    listed = tmp_path / "people.csv"
    listed.write_text(HEADER + "bob@example.org,Bob,,,\n")

    assert [r.name for r in read_file(people)[0]] == ["Ann"]
    assert [r.name for r in read_file(listed)[0]] == ["Bob"]
