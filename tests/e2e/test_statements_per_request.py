"""What opening an ask costs the database, on SQLite and PostgreSQL. On PostgreSQL
each statement is a round trip, so the writes of a new ask travel together: the
request with its parties, first event and timer in one statement, its emails with
the workers' wake-up in another. SQLite, in the process, takes them one by one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.e2e.world import World, as_

STATEMENTS_TO_OPEN_AN_ASK = {
    # the parties read and locked; the open duplicate and the connector's load;
    # the request and its rows; the emails and the wake-up; the webhook endpoints
    "postgresql": 5,
    # the same, with the request, parties, event, timer and emails written apart
    "sqlite": 8,
}


async def test_an_ask_is_opened_in_few_statements_and_writes_all_it_did(world: World) -> None:
    asker, connector = await world.pid("Asker"), await world.pid("Connector")
    await world.ask(asker, connector, topic="a first ask, which reads the credentials")

    with world.statements() as seen:
        created = await world.ask(asker, connector)

    dialect = world.container.engine.dialect.name
    statements = [s for s in seen if not s.startswith("BEGIN")]  # SQLite's own
    assert len(statements) == STATEMENTS_TO_OPEN_AN_ASK[dialect], statements
    timeline = (await world.api.get(f"/v1/intro-requests/{created['id']}/events")).json()
    assert [e["type"] for e in timeline["items"]] == ["intro_request.created"]
    for person, role in ((asker, "asker"), (connector, "connector")):
        listed = await world.api.get(
            "/v1/intro-requests", params={"role": role}, headers=as_(person)
        )
        assert created["id"] in [r["id"] for r in listed.json()["items"]], role
    queued = await world.mail.rows(created["id"])
    assert sorted((r.template, str(r.recipient_id)) for r in queued) == sorted(
        [("asker_ask_sent", asker), ("connector_ask", connector)]
    )
    assert all(r.cc_ids == [] and r.also_to_ids == [] for r in queued)
    assert all(r.status == "pending" and r.attempts == 0 for r in queued)


async def test_an_asks_writes_are_sent_by_the_driver_not_through_sqlalchemys_execution(
    world: World,
) -> None:
    """SQLAlchemy's execution of a statement costs more CPU than SQLite's own work
    on it, and than asyncpg's on PostgreSQL: an ask's writes skip it (`Direct`) on
    both databases, and only its reads (and SQLite's BEGIN) go through it."""
    asker, connector = await world.pid("Asker"), await world.pid("Connector")
    await world.ask(asker, connector, topic="a first ask, which reads the credentials")
    through_sqlalchemy: list[str] = []

    def note(*args: Any) -> None:
        through_sqlalchemy.append(str(args[2]))

    engine = world.container.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        with world.statements() as seen:
            await world.ask(asker, connector)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)

    writes = [s for s in seen if s.lstrip().startswith(("INSERT", "WITH", "UPDATE"))]
    assert len(writes) == {"postgresql": 2, "sqlite": 5}[world.container.engine.dialect.name]
    assert [s for s in through_sqlalchemy if not s.startswith(("SELECT", "BEGIN"))] == []
