"""The connector's email and page match as words too (SQLite and PostgreSQL): the
topic "Google Ads campaign" suggests the Google Ads specialist, never the person
tagged "go" and "ai"; the page's search finds words, plurals and the start of a
name, never a piece of a word."""

from __future__ import annotations

import httpx

from tests.e2e.mail import Mailroom, suggestion_links
from tests.e2e.pages.reading import options, selected
from tests.e2e.pages.visits import only_looks
from tests.e2e.world import World


async def test_the_email_and_the_page_suggest_by_words(
    world: World, mailroom: Mailroom, visitor: httpx.AsyncClient
) -> None:
    asker, connector = await world.pid("Ann Asker"), await world.pid("Cat Connector")
    aigo = await world.pid("Ai Go", expertise=["ai", "go"])
    gus = await world.pid("Gus Marsh", headline="Google Ads specialist")
    for person in (aigo, gus):
        await world.connect(connector, person, 4)
    rid = (await world.ask(asker, connector, topic="Google Ads campaign"))["id"]
    ask = await mailroom.latest("connector_ask", connector)

    assert list(suggestion_links(ask.email.text)) == [gus]
    page = await only_looks(visitor, world, ask.action_path, rid)
    assert selected(page, "expert_id") == gus
    assert [v for v, _ in options(page, "expert_id") if v] == [gus, aigo]

    async def searched(q: str) -> list[str]:
        found = await visitor.get(ask.action_path, params={"q": q})
        assert found.status_code == 200, found.text
        return [v for v, _ in options(found.text, "expert_id") if v]

    assert await searched("specialists") == [gus]
    assert await searched("mar") == [gus]
    assert await searched("goo") == []
    assert await searched("go") == [aigo]
