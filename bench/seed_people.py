"""A workspace of people with realistic profiles and connections, copied in bulk.

Everyone has one to three expertise tags and a headline and bio that mention
them, so a search for a tag's word matches about one person in thirty. Everyone
knows three others at random; the busy connector and the busy asker know
`big_network` people each (suggestions and warm paths rank those).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from bench.api import Api
from bench.seed_copy import Row, Writer
from warmintro.domain.ids import new_id

TAGS = (
    "pricing",
    "growth",
    "fundraising",
    "hiring",
    "machine learning",
    "design systems",
    "devops",
    "security",
    "sales",
    "marketing",
    "seo",
    "product management",
    "data engineering",
    "postgres",
    "kubernetes",
    "mobile",
    "payments",
    "compliance",
    "customer success",
    "community",
    "open source",
    "ux research",
    "analytics",
    "partnerships",
    "legal",
    "finance",
    "recruiting",
    "branding",
    "logistics",
    "healthcare",
)
FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas")
LAST = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Costa", "Nowak", "Haddad", "Rossi")
ROLES = ("Founder", "Head of Product", "Staff Engineer", "VP Sales", "Designer", "CFO")
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell")
SEARCHED = "pricing"
"""The word the search benchmark looks for (a tag, and in headlines and bios)."""


@dataclass(frozen=True)
class Network:
    people: list[str]
    """Every person's id, in the order made; the first two are the busy ones."""
    connector: str
    asker: str


async def seed_people(api: Api, writer: Writer, count: int, big_network: int) -> Network:
    """`count` people (the two made through the API included) and their connections."""
    connector = await api.person("Connie Connector", headline="Connector", expertise=["pricing"])
    asker = await api.person("Asa Asker", headline="Founder", expertise=["growth"])
    await api.connect(connector, asker, 4)
    person = (await writer.templates("people", "id", _uuid(connector)))[0]
    tag = (await writer.templates("person_expertise", "person_id", _uuid(connector)))[0]
    link = (await writer.templates("connections", "person_id", _uuid(connector)))[0]

    rng = random.Random(7)
    made = [_person(person, i, rng) for i in range(count - 2)]
    await writer.copy("people", made)
    await writer.copy("person_expertise", _tags(tag, made))
    ids = [_uuid(connector), _uuid(asker), *(p["id"] for p in made)]
    others = ids[2:]
    await writer.copy("connections", _connections(link, ids, others, big_network, rng))
    await writer.analyze()
    return Network([str(i) for i in ids], connector, asker)


def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def _person(template: Row, i: int, rng: random.Random) -> Row:
    tags = rng.sample(TAGS, rng.randint(1, 3))
    role, company = rng.choice(ROLES), rng.choice(COMPANIES)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
    email = f"person{i}@bench.example"
    return {
        **template,
        "id": new_id(),
        "email": email,
        "email_key": email,
        "name": name,
        "headline": f"{role} at {company}, {tags[0]}",
        "bio": f"I help teams with {' and '.join(tags)}. Before that, {role} at {company}.",
        "expertise": json.dumps(tags),
    }


def _tags(template: Row, made: list[Row]) -> Iterator[Row]:
    for person in made:
        for tag in json.loads(person["expertise"]):
            yield {**template, "person_id": person["id"], "tag": tag}


def _connections(
    template: Row, ids: list[object], others: list[object], big: int, rng: random.Random
) -> Iterator[Row]:
    seen: set[tuple[object, object]] = {(ids[0], ids[1])}  # made through the API
    for busy in ids[:2]:
        for other in rng.sample(others, min(big, len(others))):
            seen.add((busy, other))
            yield {**template, "person_id": busy, "other_id": other, "strength": rng.randint(1, 5)}
    for person in others:
        for other in (others[rng.randrange(len(others))] for _ in range(3)):
            if other != person and (person, other) not in seen:
                seen.add((person, other))
                yield {**template, "person_id": person, "other_id": other, "strength": 3}
