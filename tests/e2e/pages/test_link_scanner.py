"""Mail scanners (Outlook Safe Links, corporate gateways) fetch every link in every
email, with GET and HEAD, before the person ever sees it. None of that may decide
anything: the database is the same row for row afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World
from warmintro.api.container import Container
from warmintro.infra.settings import Settings
from warmintro.infra.tables import action_links, events, intro_requests, outbox, people

EVERY_TEMPLATE = {
    "connector_ask",
    "connector_reminder",
    "expert_consent",
    "expert_reminder",
    "connector_expert_declined",
    "introduction",
    "asker_feedback_ask",
    "connector_thank_you",
    "asker_ask_sent",
    "asker_not_this_time",
    "party_cancelled",
}
SCANNER = {"User-Agent": "Mozilla/5.0 (compatible; SafeLinks link scanner)"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The scanner fetches every link from one address, more than a person opens in
    a minute (tests/e2e/rate_limits shows that limit)."""
    return settings.model_copy(update={"rate_limit_per_ip_links": ""})


async def every_kind_of_email(
    world: World, mailroom: Mailroom, clock: FakeClock, visitor: Any
) -> None:
    """One request through reminders, a declining expert, an introduction and feedback;
    one the connector declines; one the asker cancels."""
    asker, connector = await world.pid("Ada Asker"), await world.pid("Carl Connector")
    first = await world.pid("Erin Expert", expertise=["pricing"])
    second = await world.pid("Fred Expert", expertise=["pricing"])
    await world.connect(connector, first)
    await world.connect(connector, second)
    rid = (await world.ask(asker, connector, topic="pricing a B2B SaaS product"))["id"]

    clock.advance(timedelta(days=3, minutes=1))
    ask = await mailroom.latest("connector_ask", connector)
    await mailroom.latest("connector_reminder", connector)
    # One decision through its page, so the scanner also meets a used link.
    r = await visitor.post(ask.action_path, data={"action": "propose", "expert_id": first})
    assert_page(r, 200, "Thank you")
    await mailroom.latest("expert_consent", first)
    clock.advance(timedelta(days=4, minutes=1))
    await mailroom.latest("expert_reminder", first)
    await world.do(rid, "decline", first, {"reason": "busy"})
    await world.do(rid, "propose", connector, {"expert_id": second})
    await world.do(rid, "accept", second)
    clock.advance(timedelta(days=3, minutes=1))
    await mailroom.latest("asker_feedback_ask", asker)
    await world.do(rid, "feedback", asker, {"rating": "somewhat"})

    declined = await world.ask(await world.pid("Dora Asker"), connector, topic="hiring")
    await world.do(declined["id"], "decline", connector, {"reason": "not_now"})
    cancelled_by = await world.pid("Cleo Asker")
    cancelled = await world.ask(cancelled_by, connector, topic="fundraising")
    await world.do(cancelled["id"], "cancel", cancelled_by)
    await mailroom.run()


async def database_rows(container: Container) -> dict[str, list[str]]:
    async with container.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in await conn.execute(sa.select(table)))
            for table in (intro_requests, events, outbox, people, action_links)
        }


async def test_fetching_every_link_in_every_email_changes_nothing(
    world: World,
    mailroom: Mailroom,
    clock: FakeClock,
    visitor: httpx.AsyncClient,
    container: Container,
) -> None:
    await every_kind_of_email(world, mailroom, clock, visitor)
    mails = await mailroom.sent()
    assert {m.template for m in mails} == EVERY_TEMPLATE
    base = container.settings.public_base_url.rstrip("/")
    links = {url for mail in mails for url in mail.urls()}
    assert all(url.startswith(base + "/a/") for url in links), links - {
        u for u in links if u.startswith(base + "/a/")
    }
    # Every email carries at least its unsubscribe link; the decision emails one more.
    assert len(links) >= len(mails) + 6

    before = await database_rows(container)
    fetched = 0
    for url in sorted(links):
        path = urlsplit(url).path
        for follow in (False, True):
            for method in ("GET", "HEAD"):
                r = await visitor.request(method, path, headers=SCANNER, follow_redirects=follow)
                assert_page(r, 200)
                fetched += 1
    assert fetched == 4 * len(links)
    assert await database_rows(container) == before
