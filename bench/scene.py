"""The PostgreSQL workspace the throughput and flatness sections share: the seeded
people, an ask to the busy connector (suggestions, the action page), an action
link minted for that connector, and the paths and bodies wrk sends."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass

from bench.api import Api
from bench.databases import SECRET_KEY, Database
from bench.seed_copy import Writer
from bench.seed_people import SEARCHED, Network, seed_people
from bench.seed_requests import RequestSeeder
from warmintro.api.container import Container, bootstrap
from warmintro.domain.action_links import Purpose
from warmintro.infra.settings import Settings

TOPIC = "Pricing strategy for our launch"
"""The ask to the busy connector: its words match tags, headlines and bios."""


@dataclass
class Scene:
    api: Api
    network: Network
    requests: RequestSeeder
    container: Container
    """The app's own wiring in this process: mints the link, runs a worker pass."""
    ask: str
    """An ask to the busy connector, awaiting their answer."""
    link_path: str
    """The busy connector's action page for that ask (/a/<token>)."""
    server_pid: int

    @property
    def search_path(self) -> str:
        return f"/v1/people?q={SEARCHED}&limit=20"

    @property
    def suggestions_path(self) -> str:
        return f"/v1/intro-requests/{self.ask}/suggestions"

    @property
    def warm_paths_path(self) -> str:
        return f"/v1/warm-paths?topic={SEARCHED}&asker_id={self.network.asker}"

    def create_bodies(self, count: int = 2000) -> list[str]:
        """Asks between distinct people, each topic numbered by wrk ("{n}")."""
        rng = random.Random(3)
        people = self.network.people[2:]
        bodies = []
        for _ in range(count):
            asker, connector = rng.sample(people, 2)
            body = {
                "asker_id": asker,
                "connector_id": connector,
                "topic": "Bench ask {n}",
                "message": "Could you introduce me to someone who knows pricing?",
            }
            bodies.append(json.dumps(body))
        return bodies

    async def read_paths(self, pages: int = 20) -> list[str]:
        """Up to a thousand asks' own paths, the newest first."""
        paths, after = [], None
        for _ in range(pages):
            params = {"limit": 50, **({"cursor": after} if after else {})}
            page = await self.api.call("GET", "/v1/intro-requests", params=params)
            paths += [f"/v1/intro-requests/{item['id']}" for item in page["items"]]
            after = page["next_cursor"]
            if not after:
                break
        return paths


async def build_scene(
    api: Api, writer: Writer, db: Database, people: int, big: int, server_pid: int
) -> Scene:
    await api.roomy_budgets()
    network = await seed_people(api, writer, people, big)
    ask = await api.ask(network.people[2], network.connector, TOPIC)
    settings = Settings(
        database_url=db.url, secret_key=SECRET_KEY, public_base_url="http://127.0.0.1"
    )
    container = bootstrap(settings)
    workspace = uuid.UUID((await api.call("GET", "/v1/workspace"))["id"])
    async with container.engine.begin() as conn:
        url = await container.links.mint(
            conn,
            Purpose.CONNECTOR,
            workspace,
            uuid.UUID(network.connector),
            uuid.UUID(ask),
        )
    link_path = url.removeprefix("http://127.0.0.1")
    requests = RequestSeeder(api, writer, network)
    return Scene(api, network, requests, container, ask, link_path, server_pid)
