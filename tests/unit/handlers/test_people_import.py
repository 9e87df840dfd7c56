"""People in bulk on fakes: rows are upserted by email, each whole or not at all;
every bad row is reported with its line, field and reason; connections name people
by email, `mutual` records both directions; the same import again changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import ImportPeople, ImportPeopleInto
from warmintro.domain.errors import NotPermitted
from warmintro.domain.intro_request import State
from warmintro.domain.people import Person
from warmintro.domain.people_import import (
    ImportedConnection,
    ImportReport,
    ImportRow,
    RowError,
)


def row(line: int, name: str, **fields: object) -> ImportRow:
    email = fields.pop("email", f"{''.join(name.split()).lower()}@example.org")
    return ImportRow(line=line, email=str(email), name=name, **fields)  # type: ignore[arg-type]


def knows(email: str, strength: int = 3, *, mutual: bool = False) -> ImportedConnection:
    return ImportedConnection(email, strength, "met at a meetup", mutual)


def by_email(w: World, email: str) -> Person:
    found = [p for p in w.store.data.people.values() if p.email_key == email.casefold()]
    assert len(found) == 1, email
    return found[0]


def links(w: World) -> set[tuple[str, str, int]]:
    people = {p.id: p.name for p in w.store.data.people.values()}
    return {(people[a], people[b], c.strength) for (_, a, b), c in w.store.data.connections.items()}


async def run(w: World, *rows: ImportRow) -> ImportReport:
    return await w.run(ImportPeople(rows), w.operator())


async def test_new_people_are_created_with_normalised_fields(w: World) -> None:
    report = await run(
        w,
        row(1, " Nina Doe ", email="Nina@Example.ORG", expertise=(" SaaS ", "saas", "Pricing")),
        row(2, "Omar", headline="CFO", bio="Numbers.", preferences={"discoverable": False}),
    )

    assert report == ImportReport(created=2, updated=0, unchanged=0, errors=())
    nina, omar = by_email(w, "nina@example.org"), by_email(w, "omar@example.org")
    assert (nina.email, nina.name, nina.expertise) == (
        "Nina@example.org",
        "Nina Doe",
        ("saas", "pricing"),
    )
    assert (omar.headline, omar.bio, omar.preferences.discoverable) == ("CFO", "Numbers.", False)


async def test_an_existing_email_is_updated_and_what_a_row_leaves_out_is_kept(
    w: World, cast: Cast
) -> None:
    w.clock.advance(timedelta(hours=1))
    report = await run(
        w,
        row(1, "Eve Expert", email="EVE@example.org", headline="Growth"),
        row(2, "Cyd"),  # as stored: nothing changes
    )

    assert report == ImportReport(created=0, updated=1, unchanged=1, errors=())
    eve = by_email(w, "eve@example.org")
    assert (eve.id, eve.name, eve.headline, eve.email) == (
        cast.expert,
        "Eve Expert",
        "Growth",
        "eve@example.org",
    )
    assert eve.updated_at == w.clock.now()
    cyd = by_email(w, "cyd@example.org")
    assert cyd.updated_at < w.clock.now()


async def test_every_kind_of_bad_row_is_reported_and_the_others_go_in(w: World) -> None:
    report = await run(
        w,
        row(2, "Good"),
        row(3, "Bad Email", email="not an address"),
        row(4, "", email="empty@example.org"),
        row(5, "Two\nLines", email="two@example.org"),
        row(6, "Long Headline", headline="h" * 301),
        row(7, "Bad Tag", expertise=("x" * 65,)),
        row(8, "Long Bio", bio="b" * 5001),
        row(9, "Budget", preferences={"ask_budget": 101}),
        row(10, "Weak", connections=(knows("good@example.org", 0),)),
        row(11, "Self", connections=(knows("self@example.org"),)),
        row(12, "Twice", connections=(knows("good@example.org"), knows("GOOD@example.org"))),
        row(13, "Nobody", connections=(knows("stranger@example.org"),)),
        row(14, "Good", email="GOOD@example.org"),
    )

    assert report.created == 1
    assert report.errors == (
        RowError(3, "email", "not a valid email address"),
        RowError(4, "name", "name must be 1-200 characters"),
        RowError(5, "name", "name must be a single line of text"),
        RowError(6, "headline", "headline must be at most 300 characters"),
        RowError(7, "expertise", "each expertise tag must be 1-64 characters"),
        RowError(8, "bio", "bio must be at most 5000 characters"),
        RowError(9, "preferences.ask_budget", "ask_budget must be between 0 and 100"),
        RowError(10, "connections[0].strength", "strength must be between 1 and 5"),
        RowError(11, "connections[0].email", "a person cannot be connected to themselves"),
        RowError(12, "connections[1].email", "this person is named twice in the row"),
        RowError(
            13,
            "connections[0].email",
            "no one with this email in the workspace or among the rows imported",
        ),
        RowError(14, "email", "the same email as line 2"),
    )
    assert [p.name for p in w.store.data.people.values()] == ["Good"]


async def test_a_row_naming_a_refused_row_is_refused_too(w: World) -> None:
    report = await run(
        w,
        row(1, "Ann", connections=(knows("bob@example.org"),)),
        row(2, "Bob", connections=(knows("cat@example.org"),)),
        row(3, "Cat", headline="h" * 301),
    )

    assert [(e.line, e.field) for e in report.errors] == [
        (1, "connections[0].email"),
        (2, "connections[0].email"),
        (3, "headline"),
    ]
    assert w.store.data.people == {}


async def test_connections_name_people_in_the_import_or_the_workspace(w: World, cast: Cast) -> None:
    report = await run(
        w,
        row(1, "Ann", connections=(knows("bob@example.org", 4), knows("eve@example.org", 2))),
        row(2, "Bob"),
    )

    assert (report.created, report.errors) == (2, ())
    assert links(w) == {("Ann", "Bob", 4), ("Ann", "Eve", 2)}


async def test_mutual_records_both_directions_and_leaves_a_recorded_one(
    w: World, cast: Cast
) -> None:
    await run(w, row(1, "Eve", connections=(knows("cyd@example.org", 5),)))

    report = await run(
        w,
        row(1, "Ann", connections=(knows("bob@example.org", 4, mutual=True),)),
        row(2, "Bob"),
        row(3, "Cyd", connections=(knows("eve@example.org", 1, mutual=True),)),
    )

    assert (report.created, report.updated) == (2, 1)
    assert links(w) == {("Ann", "Bob", 4), ("Bob", "Ann", 4), ("Eve", "Cyd", 5), ("Cyd", "Eve", 1)}


async def test_a_direction_named_outright_wins_over_the_other_rows_mutual(w: World) -> None:
    await run(
        w,
        row(1, "Ann", connections=(knows("bob@example.org", 4, mutual=True),)),
        row(2, "Bob", connections=(knows("ann@example.org", 2),)),
    )

    assert links(w) == {("Ann", "Bob", 4), ("Bob", "Ann", 2)}


async def test_a_connection_recorded_already_takes_the_rows_strength(w: World, cast: Cast) -> None:
    await run(w, row(1, "Cyd", connections=(knows("eve@example.org", 2),)))

    report = await run(w, row(1, "Cyd", connections=(knows("eve@example.org", 5),)))

    assert (report.updated, report.unchanged) == (1, 0)
    assert links(w) == {("Cyd", "Eve", 5)}


async def test_the_same_import_again_changes_nothing(w: World, cast: Cast) -> None:
    rows = (
        row(1, "Ann", expertise=("pricing",), connections=(knows("bob@example.org", mutual=True),)),
        row(2, "Bob", preferences={"snooze_until": datetime(2030, 1, 1, tzinfo=UTC)}),
        row(3, "Cyd", connections=(knows("ann@example.org"),)),
        row(4, "Bad", email="bad"),
    )
    first = await run(w, *rows)
    before = unchanged(w)
    w.clock.advance(timedelta(days=1))

    again = await run(w, *rows)

    assert (first.created, first.updated, first.unchanged) == (2, 1, 0)
    assert again == ImportReport(created=0, updated=0, unchanged=3, errors=first.errors)
    assert unchanged(w) == before


async def test_rows_are_written_in_chunks_with_links_to_later_chunks(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("warmintro.domain.handlers.people_import.CHUNK", 2)
    commits = w.commits
    rows = [
        row(i, f"P{i}", connections=(knows(f"p{6 - i}@example.org"),))
        for i in range(1, 6)
        if i != 3
    ]

    report = await run(w, *rows, row(3, "P3"))

    assert (report.created, report.errors) == (5, ())
    assert links(w) == {("P1", "P5", 3), ("P2", "P4", 3), ("P4", "P2", 3), ("P5", "P1", 3)}
    assert w.commits == commits + 3


async def test_opting_out_by_import_moves_waiting_asks_on(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await run(w, row(1, "Cyd", preferences={"never_contact": True}))

    assert w.stored(request.id).state is State.EXPIRED
    assert w.emails()[-1] == ("asker_expired", cast.asker, ())


async def test_only_a_workspace_api_key_imports(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(ImportPeople((row(1, "Ann"),)), w.member(cast.asker))
    assert unchanged(w) == before


async def test_the_command_line_imports_into_a_workspace_by_name(w: World) -> None:
    report = await w.use_cases(ImportPeopleInto("Alumni", (row(1, "Ann"),)))

    assert report.created == 1
    assert by_email(w, "ann@example.org").workspace_id == w.workspace.id


async def test_rows_the_reader_refused_are_reported_in_line_order(w: World) -> None:
    unread = (RowError(2, None, "3 fields, the header has 5"),)
    report = await w.run(ImportPeople((row(3, "Ann"), row(1, "Bob")), unread), w.operator())

    assert (report.created, report.errors) == (2, unread)
    assert isinstance(by_email(w, "ann@example.org").id, uuid.UUID)
