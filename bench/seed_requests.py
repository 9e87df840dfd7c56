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
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bench.api import Api
from bench.seed_copy import ASKS, Row, Writer
from bench.seed_people import TAGS, Network
from warmintro.domain.ids import new_id

TABLES = ("intro_requests", "request_parties", "events", "outbox", "timers")
"""The tables an ask writes to, each with a `request_id` (or the request's `id`)."""
BATCH = 100_000
"""Asks copied at a time."""


class RequestSeeder:
    def __init__(self, api: Api, writer: Writer, network: Network) -> None:
        self.api = api
        self.writer = writer
        self.made = 0
        self._rng = random.Random(11)
        self._people = [uuid.UUID(p) for p in network.people]
        self._template: dict[str, list[Row]] = {}

    async def grow_to(self, total: int) -> int:
        """Copy asks until the workspace holds `total` (or more); how many were added."""
        if not self._template:
            await self._read_template()
        wanted = max(0, total - self.made)
        rebuild = await self.writer.drop_indexes(TABLES)
        for start in range(self.made, self.made + wanted, BATCH):
            count = min(BATCH, self.made + wanted - start)
            await self.writer.load_asks(self._asks(start, count))
            for table in TABLES:
                for template in self._template[table]:
                    await self._insert_copies(table, template)
        for statement in rebuild:
            await self.writer.execute(statement)
        self.made += wanted
        await self.writer.analyze()
        return wanted

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
            topic = f"{rng.choice(TAGS).capitalize()} advice {n}"
            yield tuple(self.writer.encode(v) for v in (new_id(), asker, connector, topic))

    async def _insert_copies(self, table: str, template: Row) -> None:
        """One copy of `template` per listed ask, its ids and fields replaced."""
        request = self._template["intro_requests"][0]
        varying = {
            request["id"]: "a.id",
            request["asker_id"]: "a.asker_id",
            request["connector_id"]: "a.connector_id",
        }
        await self.writer.columns(table)
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
                values.append(self.writer.derived_id(f"{own.index(value):04x}"))
            elif table == "intro_requests" and column in ("topic", "topic_key"):
                values.append("a.topic" if column == "topic" else "lower(a.topic)")
            else:
                if table == "outbox" and column in SENT:
                    value = SENT[column]
                params.append(self.writer.encode(value))
                values.append(self.writer.param(table, column, len(params)))
        await self.writer.execute(
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


A_DAY_AGO = datetime.now(UTC) - timedelta(days=1)
SENT: dict[str, object] = {
    "status": "sent",
    "attempts": 1,
    "sent_at": A_DAY_AGO,
    "available_at": A_DAY_AGO,
    "locked_until": None,
}
"""A copied email went out long ago: history, not work for the worker."""
