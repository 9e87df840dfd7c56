"""The pages in a real browser, walked as people walk them: the app serves on a
loopback port with its worker running, mail lands in /dev/mailbox, and Chromium
follows the links, fills the forms and presses the buttons.

Needs Debian's Chromium at /usr/bin/chromium (never a downloaded one). Without it
these tests skip with the reason, unless WARMINTRO_REQUIRE_BROWSER=1 (as in CI),
which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.clock import FakeClock
from tests.e2e.live import live
from tests.e2e.world import World
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra.settings import Settings

SCREENSHOT = Path("/tmp/connector-page.png")
WAIT_SECONDS = 10.0

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Served:
    base_url: str
    world: World


@pytest.fixture
async def served(settings: Settings, clock: FakeClock) -> AsyncIterator[Served]:
    """The app on a free loopback port, its worker running, PUBLIC_BASE_URL pointing at it."""
    async with live(settings, clock, "browser") as world:
        yield Served(str(world.api.base_url).rstrip("/"), world)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `check` briefly (the worker sends within milliseconds); fail after a bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.05)


async def open_from_mailbox(page: Page, base_url: str, to_email: str, link: str = "") -> None:
    """Open /dev/mailbox, wait for the email to this address, and click its general
    action link, or the first whose address contains `link` (a suggestion's own)."""

    async def arrived() -> bool:
        await page.goto(f"{base_url}/dev/mailbox")
        return await page.locator("article", has_text=to_email).count() > 0

    await eventually(arrived, f"an email to {to_email} in /dev/mailbox")
    email = page.locator("article", has_text=to_email).first
    which = f'[href*="{link}"]' if link else ':not([href*="?expert="])'
    await email.locator(f'a[href^="{base_url}/a/"]{which}').first.click()
    await page.wait_for_load_state()


async def unlabelled_controls(page: Page) -> list[str]:
    """Form controls a screen reader could not name: no <label for>, no wrapping
    label, no aria-label(ledby); and buttons without text."""
    result: list[str] = await page.evaluate(
        """() => {
          const bad = [];
          for (const el of document.querySelectorAll(
              'input:not([type=hidden]), select, textarea, button')) {
            if (el.tagName === 'BUTTON') {
              if (!el.textContent.trim() && !el.getAttribute('aria-label')) bad.push(el.outerHTML);
              continue;
            }
            const named = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
              || el.closest('label') || el.getAttribute('aria-label')
              || el.getAttribute('aria-labelledby');
            if (!named) bad.push(el.outerHTML);
          }
          return bad;
        }"""
    )
    return result


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    overflow: int = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


async def check_small_screen(browser: Browser, url: str) -> None:
    """The page at a 375px-wide phone viewport: nothing scrolls sideways, every control
    is labelled. Opening it is a GET, so it decides nothing."""
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = await context.new_page()
        response = await page.goto(url)
        assert response is not None and response.status == 200
        assert await horizontal_overflow(page) <= 0, "the page scrolls sideways at 375px"
        assert await unlabelled_controls(page) == []
    finally:
        await context.close()


def introductions_to(world: World, email: str) -> list[OutgoingEmail]:
    return [
        e
        for e in world.mail.emails()
        if e.to.email == email and e.subject.startswith("Introduction:")
    ]


async def test_connector_and_expert_walk_an_introduction_through_the_browser(
    browser: Browser, served: Served
) -> None:
    world, base = served.world, served.base_url
    asker = await world.person("Ada Asker", headline="Founder")
    connector = await world.person("Carl Connector")
    expert = await world.person("Erin Expert", headline="Pricing lead", expertise=["pricing"])
    await world.connect(connector["id"], expert["id"], strength=4, context="worked together")
    request = await world.ask(
        asker["id"],
        connector["id"],
        topic="pricing a B2B SaaS product",
        message="I'm launching a product and want to learn how to price it.",
    )

    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()

    # The connector finds the ask in their mail and follows the link.
    await open_from_mailbox(page, base, connector["email"])
    await expect(page.locator("h1")).to_contain_text("pricing a B2B SaaS product")
    await expect(page.locator("blockquote")).to_contain_text("learn how to price it")
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await check_small_screen(browser, page.url)

    # The general link preselects the top suggestion; forwarding starts on nobody.
    await expect(page.get_by_label("Someone you know")).to_have_value(expert["id"])
    await expect(page.get_by_label("Who should answer instead")).to_have_value("")

    # Two clicks and no typing: the suggestion's own link in the email, then its button.
    await open_from_mailbox(page, base, connector["email"], link=f"?expert={expert['id']}")
    await page.get_by_role("button", name="Ask Erin Expert").click()
    await expect(page.locator("h1")).to_have_text(f"Thank you. We have asked {expert['name']}")
    await expect(page.locator("main")).to_contain_text("we will introduce them to")

    # The expert reads who asks and why, and agrees with one click.
    await open_from_mailbox(page, base, expert["email"])
    await expect(page.locator("main")).to_contain_text("learn how to price it")
    await check_small_screen(browser, page.url)
    await page.get_by_role("button", name="Yes, introduce us").click()
    await expect(page.locator("main")).to_contain_text("We have emailed you both an introduction")
    await context.close()

    # Everyone is introduced: the asker's email names the expert.
    async def introduced() -> bool:
        return bool(introductions_to(world, asker["email"]))

    await eventually(introduced, "the asker's introduction email")
    (intro,) = introductions_to(world, asker["email"])
    assert "Erin Expert" in intro.subject and expert["email"] in intro.text
    r = await world.api.get(f"/v1/intro-requests/{request['id']}")
    assert (r.json()["state"], r.json()["expert_id"]) == ("introduced", expert["id"])


async def test_a_blurb_with_a_long_link_still_fits_a_phone_screen(
    browser: Browser, served: Served
) -> None:
    """Askers paste links into their blurb; an unbreakable one must wrap, not push the
    buttons off a 375px screen."""
    world = served.world
    asker = await world.person("Ada Asker")
    connector = await world.person("Carl Connector")
    deck = "https://docs.example.com/presentation/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
    await world.ask(
        asker["id"],
        connector["id"],
        topic="pricing",
        message=f"Our pricing deck is at {deck} if that helps.",
    )
    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = await context.new_page()
        await open_from_mailbox(page, served.base_url, connector["email"])
        await expect(page.locator("blockquote")).to_contain_text(deck)
        await check_small_screen(browser, page.url)
    finally:
        await context.close()
