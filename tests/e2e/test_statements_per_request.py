"""What opening an ask costs the database, on SQLite and PostgreSQL. On PostgreSQL
each statement is a round trip, so the writes of a new ask travel together: the
request with its parties, first event and timer in one statement, its emails with
the workers' wake-up in another. SQLite, in the process, takes them one by one."""

from __future__ import annotations

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
