"""Matching that understands words, through the API (SQLite and PostgreSQL):
suggestions and people search match tags, headline and bio as words, never a
word inside another; tags weigh most, then the headline, then the bio."""

from __future__ import annotations

from typing import Any

from tests.e2e.world import World, as_, collect


async def suggested(world: World, connector: str, asker: str, topic: str) -> list[dict[str, Any]]:
    rid = (await world.ask(asker, connector, topic=topic, message="Could you help?"))["id"]
    r = await world.api.get(f"/v1/intro-requests/{rid}/suggestions", headers=as_(connector))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_topics_suggest_nobody_whose_words_they_only_contain(world: World) -> None:
    asker, connector = await world.pid("Ann"), await world.pid("Cat")
    aigo = await world.pid("Ai Go", expertise=["ai", "go"], headline="AI in Go")
    gus = await world.pid("Gus", headline="Google Ads specialist")
    for person in (aigo, gus):
        await world.connect(connector, person, 4)

    google = await suggested(world, connector, asker, "Google Ads campaign")
    retaining = await suggested(world, connector, asker, "Retaining customers")

    assert [s["person_id"] for s in google] == [gus]
    assert google[0]["matched"] == []
    assert retaining == []


async def test_suggestions_rank_tags_then_headline_then_bio(world: World) -> None:
    asker, connector = await world.pid("Ann"), await world.pid("Cat")
    by_bio = await world.pid("Bea", bio="I spent ten years on pricing models.")
    by_headline = await world.pid("Hed", headline="Head of pricing")
    by_tag = await world.pid("Tag", expertise=["pricing model", "saas"])
    for person, strength in ((by_bio, 5), (by_headline, 5), (by_tag, 1)):
        await world.connect(connector, person, strength)

    items = await suggested(world, connector, asker, "Pricing models for a SaaS")

    assert [s["person_id"] for s in items] == [by_tag, by_headline, by_bio]
    assert items[0]["matched"] == ["pricing model", "saas"]
    assert items[0]["score"] > items[1]["score"] > items[2]["score"]


async def test_people_search_finds_every_word_in_any_order(world: World) -> None:
    sal = await world.pid("Sal", headline="SaaS pricing consultant")
    tia = await world.pid("Tia", expertise=["pricing models"], bio="Mostly SaaS.")
    await world.pid("Pam", headline="Pricing for marketplaces")

    async def found(q: str) -> list[str]:
        return sorted(p["id"] for p in await collect(world.api, "/v1/people", q=q))

    assert await found("pricing saas") == sorted([sal, tia])
    assert await found("pricing model") == [tia]
    assert await found("saas pri") == []
