"""Intro requests in bulk: one ask opened through the API, then copied with every
row it wrote (the request, its parties, events, queued email and timer).

Copies differ in id, asker, connector and topic (one open ask per asker,
connector and topic is the rule), and their email counts as sent long ago, so
the outbox holds history and nothing due, as a live one mostly does. One ask in
a hundred is the busy asker's, whose list the flatness check reads.

What varies goes in by COPY (a list of asks: id, asker, connector, topic); the
database then writes each table's copies in one INSERT ... SELECT from that
list and the template row, so a million asks never pass through Python rows.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator

from bench.api import Api
from bench.seed_copy import CopyWriter, Row
from bench.seed_people import TAGS, Network
from warmintro.domain.ids import new_id

TABLES = ("intro_requests", "request_parties", "events", "outbox", "timers")
"""The tables an ask writes to, each with a `request_id` (or the request's `id`)."""
BATCH = 100_000
"""Asks copied at a time."""
ASKS = "bench_asks"


class RequestSeeder:
    def __init__(self, api: Api, writer: CopyWriter, network: Network) -> None:
        self.api = api
        self.writer = writer
        self.made = 0
        self._rng = random.Random(11)
        self._people = [uuid.UUID(p) for p in network.people]
        self._template: dict[str, list[Row]] = {}
        self.seconds: dict[str, float] = {}

    async def grow_to(self, total: int) -> int:
        """Copy asks until the workspace holds `total` (or more); how many were added."""
        if not self._template:
            await self._read_template()
        wanted = max(0, total - self.made)
        conn = self.writer.conn
        # Nothing here needs to survive a crash: no flush to disk per statement.
        await conn.execute("SET synchronous_commit = off")
        await conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {ASKS}"
            " (id uuid, asker_id uuid, connector_id uuid, topic text)"
        )
        await conn.execute("SET maintenance_work_mem = '256MB'")
        rebuild = await self._drop_indexes()
        for start in range(self.made, self.made + wanted, BATCH):
            count = min(BATCH, self.made + wanted - start)
            await conn.execute(f"TRUNCATE {ASKS}")
            await conn.copy_records_to_table(ASKS, records=self._asks(start, count))
            for table in TABLES:
                for template in self._template[table]:
                    started = time.perf_counter()
                    await self._insert_copies(table, template)
                    self.seconds[table] = self.seconds.get(table, 0) + time.perf_counter() - started
        for statement in rebuild:
            await conn.execute(statement)
        self.made += wanted
        await self.writer.analyze()
        return wanted

    async def _drop_indexes(self) -> list[str]:
        """Drop the tables' indexes and key constraints; the statements that rebuild
        them. Rows then go in at the speed of appending, and each index is built in
        one sort (as a long-lived one would be after a REINDEX)."""
        conn = self.writer.conn
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            list(TABLES),
        )
        keys = await conn.fetch(
            "SELECT conname, conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def"
            " FROM pg_constraint WHERE contype IN ('p', 'u')"
            " AND conrelid::regclass::text = ANY($1::text[])",
            list(TABLES),
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        for key in keys:
            await conn.execute(f'ALTER TABLE "{key["tbl"]}" DROP CONSTRAINT "{key["conname"]}"')
        return [
            *(f'ALTER TABLE "{k["tbl"]}" ADD CONSTRAINT "{k["conname"]}" {k["def"]}' for k in keys),
            *(index["indexdef"] for index in indexes),
        ]

    async def _read_template(self) -> None:
        people = self._people
        rid = await self.api.ask(str(people[2]), str(people[3]), "Template ask")
        for table in TABLES:
            column = "id" if table == "intro_requests" else "request_id"
            self._template[table] = await self.writer.templates(table, column, uuid.UUID(rid))
        self.made = 1

    def _asks(self, start: int, count: int) -> Iterator[tuple[object, ...]]:
        rng, people = self._rng, self._people
        for n in range(start, start + count):
            asker = people[1] if rng.random() < 0.01 else people[rng.randrange(2, len(people))]
            connector = people[rng.randrange(2, len(people))]
            while connector == asker:
                connector = people[rng.randrange(2, len(people))]
            yield new_id(), asker, connector, f"{rng.choice(TAGS).capitalize()} advice {n}"

    async def _insert_copies(self, table: str, template: Row) -> None:
        """One copy of `template` per listed ask, its ids and fields replaced."""
        request = self._template["intro_requests"][0]
        varying = {
            request["id"]: "a.id",
            request["asker_id"]: "a.asker_id",
            request["connector_id"]: "a.connector_id",
        }
        types = await self._types(table)
        own = self._own_ids()
        listed, values, params = [], [], []
        for column, value in template.items():
            listed.append(f'"{column}"')
            if isinstance(value, uuid.UUID) and value in varying:
                values.append(varying[value])
            elif isinstance(value, uuid.UUID) and column != "workspace_id":
                # An id of the ask's own (an event, an email): the ask's id with its
                # last digits changed, so it is the same in every table that names it
                # (an email's event_id is the event's id) and as time-ordered as the
                # ask's (indexes fill in order, as they do live).
                suffix = f"{own.index(value):04x}"
                values.append(f"overlay(a.id::text placing '{suffix}' from 33)::uuid")
            elif table == "intro_requests" and column in ("topic", "topic_key"):
                values.append("a.topic" if column == "topic" else "lower(a.topic)")
            elif table == "outbox" and column in SENT:
                values.append(SENT[column])
            else:
                params.append(value)
                values.append(f'${len(params)}::"{types[column]}"')
        await self.writer.conn.execute(
            f'INSERT INTO "{table}" ({", ".join(listed)}) SELECT {", ".join(values)} FROM {ASKS} a',
            *params,
        )

    def _own_ids(self) -> list[uuid.UUID]:
        """The ids the template ask's rows hold other than the ask, its people and its
        workspace, in a fixed order."""
        request = self._template["intro_requests"][0]
        parties = {request["id"], request["asker_id"], request["connector_id"]}
        found = {
            value
            for rows in self._template.values()
            for row in rows
            for column, value in row.items()
            if isinstance(value, uuid.UUID) and value not in parties and column != "workspace_id"
        }
        return sorted(found)

    async def _types(self, table: str) -> dict[str, str]:
        found = await self.writer.conn.fetch(
            "SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = $1",
            table,
        )
        return {r["column_name"]: r["udt_name"] for r in found}


SENT = {
    "status": "'sent'",
    "attempts": "1",
    "sent_at": "now() - interval '1 day'",
    "available_at": "now() - interval '1 day'",
    "locked_until": "NULL",
}
"""A copied email went out long ago: history, not work for the worker."""
