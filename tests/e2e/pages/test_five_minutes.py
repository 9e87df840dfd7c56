"""The five-minute intro, end to end, as people live it: every email comes off a
real SMTP server on loopback, Chromium opens it, and the test counts the clicks.

The connector asks a suggested expert in two clicks and no typing (the email's
"Ask Erin", then the one button on the page it opens); the expert agrees in two
(the email's link, then "Yes, introduce us"); within a second ONE introduction
leaves, To the asker and the expert with the connector in Cc, carrying why the
connector thought of the expert and what the expert wrote.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.clock import FakeClock
from tests.e2e.live import live
from tests.e2e.world import World
from tests.smtp import Received, SmtpCatcher, smtp_transport
from warmintro.infra.settings import Settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

smtp_port, settings, catcher = smtp_transport()

WAIT_SECONDS = 10.0
INTRO_WITHIN_SECONDS = 1.0


@dataclass
class Served:
    base_url: str
    world: World
    catcher: SmtpCatcher


@pytest.fixture
async def served(
    settings: Settings, clock: FakeClock, catcher: SmtpCatcher
) -> AsyncIterator[Served]:
    """The app on a loopback port with its worker running, sending by SMTP to the
    catcher, its links pointing at itself."""
    async with live(settings, clock, "Northwind Alumni") as world:
        yield Served(str(world.api.base_url).rstrip("/"), world, catcher)


@dataclass
class Person:
    """Someone at a browser, whose clicks are counted."""

    page: Page
    clicks: int = 0
    typed: list[str] = field(default_factory=list)

    async def read(self, received: Received) -> None:
        """Open an email as a mail client shows it: its HTML part."""
        html = received.message.get_body(preferencelist=("html",))
        assert html is not None
        await self.page.set_content(html.get_content())

    async def click(self, target: Locator) -> None:
        self.clicks += 1
        await target.click()
        await self.page.wait_for_load_state()

    async def type(self, target: Locator, text: str) -> None:
        self.typed.append(text)
        await target.fill(text)


async def arrival(catcher: SmtpCatcher, subject: str, to: str) -> Received:
    """The one message with this subject start, sent to this address; waits for it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = [
            r
            for r in catcher.received
            if str(r.message["Subject"]).startswith(subject) and to in r.rcpt_tos
        ]
        if found:
            assert len(found) == 1, [str(r.message["Subject"]) for r in found]
            return found[0]
        assert time.monotonic() < deadline, f"no email {subject!r} to {to}"
        await asyncio.sleep(0.01)


async def test_two_clicks_ask_two_clicks_agree_and_one_introduction_within_a_second(
    browser: Browser, served: Served
) -> None:
    world, smtp = served.world, served.catcher
    ada = await world.person("Ada Asker", headline="Founder, Tallyworks")
    carl = await world.person("Carl Connector")
    erin = await world.person("Erin Expert", headline="Pricing lead", expertise=["pricing"])
    kim = await world.person("Kim Margins", headline="Finance", expertise=["saas"])
    await world.connect(carl["id"], erin["id"], strength=5, context="we ran pricing at Acme")
    await world.connect(carl["id"], kim["id"], strength=2)
    request = await world.ask(
        ada["id"],
        carl["id"],
        topic="pricing",
        message="I'm launching a B2B product and want to learn how to price it.",
    )
    context = await browser.new_context(viewport={"width": 1024, "height": 900})

    # The connector: the email's "Ask Erin", then the page's one button. No typing.
    connector = Person(await context.new_page())
    await connector.read(await arrival(smtp, "Ada Asker asks", carl["email"]))
    await connector.click(connector.page.get_by_role("link", name="Ask Erin"))
    assert connector.page.url.startswith(f"{served.base_url}/a/")
    await expect(connector.page.locator("header")).to_contain_text("Northwind Alumni")
    await connector.click(connector.page.get_by_role("button", name="Ask Erin Expert"))
    await expect(connector.page.locator("h1")).to_have_text("Thank you. We have asked Erin Expert")
    assert (connector.clicks, connector.typed) == (2, [])

    # The expert: the email's link, then "Yes, introduce us" (a note is optional).
    expert = Person(await context.new_page())
    await expert.read(await arrival(smtp, "", erin["email"]))
    await expert.click(expert.page.get_by_role("link", name="Agree or decline"))
    await expect(expert.page.locator("main")).to_contain_text("learn how to price it")
    await expert.type(expert.page.get_by_label("A note for Ada Asker"), "Happy to help, Ada.")
    await expert.click(expert.page.get_by_role("button", name="Yes, introduce us"))
    accepted = time.monotonic()
    await expect(expert.page.locator("h1")).to_have_text("You and Ada Asker are introduced")
    assert expert.clicks == 2
    await context.close()

    # One introduction, to both, the connector in copy, within a second.
    intro = await arrival(smtp, "Introduction:", ada["email"])
    took = time.monotonic() - accepted
    assert took <= INTRO_WITHIN_SECONDS, f"the introduction left {took:.2f} s after the accept"
    introductions = [r for r in smtp.received if str(r.message["Subject"]).startswith("Intro")]
    assert introductions == [intro], "one message, not one per side"
    assert sorted(intro.rcpt_tos) == sorted([ada["email"], erin["email"], carl["email"]])
    to = {a.addr_spec for a in intro.message["To"].addresses}
    cc = {a.addr_spec for a in intro.message["Cc"].addresses}
    assert (to, cc) == ({ada["email"], erin["email"]}, {carl["email"]})
    assert "List-Unsubscribe" not in intro.message, "a shared message unsubscribes nobody"
    text = intro.message.get_body(preferencelist=("plain",))
    assert text is not None
    body = " ".join(text.get_content().split())
    assert "How Carl Connector knows Erin Expert: we ran pricing at Acme" in body
    assert "Erin Expert says: Happy to help, Ada." in body
    assert "learn how to price it" in body
    r = await world.api.get(f"/v1/intro-requests/{request['id']}")
    assert (r.json()["state"], r.json()["expert_id"]) == ("introduced", erin["id"])
    assert kim["id"] not in str(intro.raw), "only the people introduced"
