"""`POST /v1/people/import` on each database: 10,000 rows with 20 bad ones create
9,980 people and report the 20 by line and reason, and the same import again
changes nothing; CSV and JSON; connections by email, mutual ones both ways."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.command_line import warmintro
from tests.e2e.world import World, assert_problem, bearer, collect
from warmintro.infra.tables import connections, people

ROWS = 10_000
BAD_EVERY = ROWS // 20
HEADER = "email,name,headline,expertise,bio"
CSV = {"Content-Type": "text/csv"}


def person(i: int) -> dict[str, Any]:
    return {
        "email": f"member{i}@example.org",
        "name": f"Member {i}",
        "headline": f"Works on project {i % 97}",
        "expertise": ["pricing", f"topic {i % 13}"],
        "bio": "Alumni of the 2019 cohort.",
    }


def spoiled(row: dict[str, Any], i: int) -> tuple[dict[str, Any], str]:
    """One of four ways to break a row, and the field the report must name."""
    kind = (i // BAD_EVERY) % 4
    if kind == 0:
        return row | {"email": f"member{i}-at-example.org"}, "email"
    if kind == 1:
        return row | {"name": ""}, "name"
    if kind == 2:
        return row | {"headline": "h" * 301}, "headline"
    return row | {"expertise": ["x" * 65]}, "expertise[0]"


def ten_thousand() -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The rows (each knows the one before, every third mutually) and, by index, the
    field of each bad row. A bad row is never named by a good one's connection."""
    rows, bad = [], {}
    for i in range(ROWS):
        row = person(i)
        if i % BAD_EVERY == BAD_EVERY - 1:
            row, bad[i] = spoiled(row, i)
        elif i and i - 1 not in bad:
            row["connections"] = [
                {"email": f"member{i - 1}@example.org", "strength": 3, "mutual": i % 3 == 0}
            ]
        rows.append(row)
    return rows, bad


def as_csv(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER]
    for r in rows:
        lines.append(
            f"{r['email']},{r['name']},{r['headline']},{';'.join(r['expertise'])},{r['bio']}"
        )
    return "\n".join(lines) + "\n"


async def count(world: World, table: sa.Table) -> int:
    async with world.container.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(table.c.workspace_id == world.workspace.id)
        return int((await conn.execute(query)).scalar_one())


async def timed(world: World, label: str, **request: Any) -> dict[str, Any]:
    started = time.perf_counter()
    r = await world.api.post("/v1/people/import", timeout=120, **request)
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    assert r.status_code == 200, r.text[:2000]
    report: dict[str, Any] = r.json()
    return report


@pytest.mark.parametrize("form", ["json", "csv"])
async def test_ten_thousand_rows_with_twenty_bad_ones_and_the_same_again(
    world: World, form: str
) -> None:
    rows, bad = ten_thousand()
    if form == "json":
        request: dict[str, Any] = {
            "content": json.dumps(rows),
            "headers": {"Content-Type": "application/json"},
        }
        line = {i: i + 1 for i in bad}
    else:
        request = {"content": as_csv(rows), "headers": CSV}
        line = {i: i + 2 for i in bad}

    first = await timed(world, f"{form}: {ROWS} rows", **request)
    again = await timed(world, f"{form}: the same {ROWS} rows again", **request)

    assert (first["created"], first["updated"], first["unchanged"]) == (ROWS - 20, 0, 0)
    assert [(e["line"], e["field"]) for e in first["errors"]] == [(line[i], bad[i]) for i in bad]
    assert all(e["reason"] for e in first["errors"])
    assert again == first | {"created": 0, "unchanged": ROWS - 20}
    assert await count(world, people) == ROWS - 20
    # CSV carries no connections; in JSON each is one row, and a mutual one two.
    links = sum(1 + c["mutual"] for r in rows for c in r.get("connections", []))
    assert await count(world, connections) == (links if form == "json" else 0)


async def test_connections_by_email_in_the_file_or_the_workspace_mutual_both_ways(
    world: World,
) -> None:
    eve = await world.person("Eve", email="eve@example.org")
    body = [
        {
            "email": "ann@example.org",
            "name": "Ann",
            "connections": [
                {
                    "email": "bob@example.org",
                    "strength": 4,
                    "context": "co-founders",
                    "mutual": True,
                },
                {"email": "EVE@example.org", "strength": 2},
            ],
        },
        {"email": "bob@example.org", "name": "Bob", "preferences": {"discoverable": False}},
    ]

    report = (await world.api.post("/v1/people/import", json=body)).json()

    assert report == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    found = {p["email"]: p for p in await collect(world.api, "/v1/people")}
    ann, bob = found["ann@example.org"], found["bob@example.org"]
    assert bob["preferences"]["discoverable"] is False
    ann_knows = await collect(world.api, f"/v1/people/{ann['id']}/connections")
    bob_knows = await collect(world.api, f"/v1/people/{bob['id']}/connections")
    assert {(c["person_id"], c["strength"]) for c in ann_knows} == {(bob["id"], 4), (eve["id"], 2)}
    assert [(c["person_id"], c["strength"], c["context"]) for c in bob_knows] == [
        (ann["id"], 4, "co-founders")
    ]


async def test_an_import_updates_by_email_and_reports_bad_csv_lines(world: World) -> None:
    nia = await world.person("Nia", email="nia@example.org", headline="Old")
    text = f"{HEADER}\nNIA@example.org,Nia,New,pricing;SaaS,\nshort,row\n\nzed@example.org,Zed,,,\n"

    report = (await world.api.post("/v1/people/import", content=text, headers=CSV)).json()

    assert report == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "errors": [{"line": 3, "field": None, "reason": "2 fields, the header has 5"}],
    }
    got = (await world.api.get(f"/v1/people/{nia['id']}")).json()
    assert (got["headline"], got["expertise"], got["email"]) == (
        "New",
        ["pricing", "saas"],
        "nia@example.org",
    )


async def test_a_large_import_fits_and_an_idempotency_key_replays(world: World) -> None:
    rows, _ = ten_thousand()
    content = json.dumps(rows[:2000])
    assert len(content) > 256 * 1024  # over the limit of every other body
    key = {"Content-Type": "application/json", "Idempotency-Key": "import-1"}

    first = await world.api.post("/v1/people/import", content=content, headers=key)
    replay = await world.api.post("/v1/people/import", content=content, headers=key)

    assert first.json()["created"] == 2000 - 4  # 4 bad rows
    assert (replay.headers["Idempotent-Replayed"], replay.json()) == ("true", first.json())


async def test_an_import_is_refused_whole_only_when_it_cannot_be_read(world: World) -> None:
    member = bearer(await world.token(await world.pid("Mia")))
    too_large = {"Content-Type": "text/csv", "Content-Length": str(16 * 1024 * 1024 + 1)}

    assert_problem(
        await world.api.post("/v1/people/import", json={"email": "a"}), 422, field="body"
    )
    assert_problem(
        await world.api.post("/v1/people/import", content="name\n", headers=CSV), 422, field="body"
    )
    assert_problem(
        await world.api.post(
            "/v1/people/import", content="x", headers={"Content-Type": "text/plain"}
        ),
        422,
        field="Content-Type",
    )
    assert_problem(await world.api.post("/v1/people/import", json=[], headers=member), 403)
    assert_problem(await world.api.post("/v1/people/import", content="", headers=too_large), 413)


async def test_a_mutual_connection_and_discoverable_through_the_api(world: World) -> None:
    ann, bob = await world.pid("Ann"), await world.pid("Bob")

    r = await world.api.post(
        f"/v1/people/{ann}/connections", json={"person_id": bob, "strength": 5, "mutual": True}
    )
    again = await world.api.post(
        f"/v1/people/{ann}/connections", json={"person_id": bob, "strength": 5, "mutual": True}
    )
    hidden = await world.api.patch(
        f"/v1/people/{bob}", json={"preferences": {"discoverable": False}}
    )
    export = await world.api.get(f"/v1/people/{bob}/export")

    assert r.status_code == 201, r.text
    assert_problem(again, 409, "already_exists")
    assert [c["person_id"] for c in await collect(world.api, f"/v1/people/{bob}/connections")] == [
        ann
    ]
    assert hidden.json()["preferences"]["discoverable"] is False
    assert export.json()["person"]["preferences"]["discoverable"] is False
    assert [k["person_id"] for k in export.json()["known_by"]] == [ann]


@pytest.mark.usefixtures("command_line_env")
async def test_the_command_line_imports_a_file_and_prints_the_report(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "people.csv"
    listed.write_text(f"{HEADER}\nann@example.org,Ann,CFO,pricing,\nbad,Bad,,,\n")
    known = tmp_path / "connections.json"
    known.write_text(
        json.dumps(
            [
                {
                    "email": "bob@example.org",
                    "name": "Bob",
                    "connections": [{"email": "ann@example.org", "strength": 4, "mutual": True}],
                }
            ]
        )
    )
    name = world.workspace.name

    with pytest.raises(SystemExit) as refused:
        await warmintro(capsys, "import", str(listed), "--workspace", name)
    first = json.loads(capsys.readouterr().out)
    out = await warmintro(capsys, "import", str(known), "--workspace", str(world.workspace.id))

    assert refused.value.code == 1
    assert first["created"] == 1
    assert [(e["line"], e["field"]) for e in first["errors"]] == [(3, "email")]
    assert json.loads(out) == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    found = {p["name"]: p["id"] for p in await collect(world.api, "/v1/people")}
    ann_knows = await collect(world.api, f"/v1/people/{found['Ann']}/connections")
    assert [c["person_id"] for c in ann_knows] == [found["Bob"]]
    with pytest.raises(SystemExit, match="No such file"):
        await warmintro(capsys, "import", str(tmp_path / "missing.csv"), "--workspace", name)
