"""The pages in a real browser, walked as people walk them: the app serves on a
loopback port with its worker running, mail lands in /dev/mailbox, and Chromium
follows the links, fills the forms and presses the buttons.

Needs Debian's Chromium at /usr/bin/chromium (never a downloaded one). Without it
these tests skip with the reason, unless WARMINTRO_REQUIRE_BROWSER=1 (as in CI),
which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support import FakeClock, new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HAVE_CHROMIUM = CHROMIUM.exists()
SCREENSHOT = Path("/tmp/connector-page.png")
WAIT_SECONDS = 10.0

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    base_url: str
    container: Container
    api: httpx.AsyncClient


@pytest.fixture
async def served(database_url: str, clock: FakeClock) -> AsyncIterator[Served]:
    """The app on a free loopback port, its worker running, PUBLIC_BASE_URL pointing at it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=database_url, public_base_url=base_url, _env_file=None)
    container = bootstrap(settings, clock)
    app = create_app(container=container, migrate_on_start=False, run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert not task.done(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        await asyncio.sleep(0.02)
    _, key = await new_workspace(container, f"browser-{secrets.token_hex(3)}")
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, trust_env=False) as api:
        yield Served(base_url, container, api)
    server.should_exit = True
    await asyncio.wait_for(task, WAIT_SECONDS)
    await container.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("WARMINTRO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WARMINTRO_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def person(api: httpx.AsyncClient, name: str, **fields: object) -> dict[str, str]:
    email = f"{name.split()[0].lower()}-{secrets.token_hex(4)}@example.com"
    r = await api.post("/v1/people", json={"email": email, "name": name, **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `check` briefly (the worker sends within milliseconds); fail after a bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.05)


async def open_from_mailbox(page: Page, base_url: str, to_email: str) -> None:
    """Open /dev/mailbox, wait for the email to this address, and click its action link."""

    async def arrived() -> bool:
        await page.goto(f"{base_url}/dev/mailbox")
        return await page.locator("article", has_text=to_email).count() > 0

    await eventually(arrived, f"an email to {to_email} in /dev/mailbox")
    email = page.locator("article", has_text=to_email).first
    await email.locator(f'a[href^="{base_url}/a/"]').first.click()
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


def introductions_to(container: Container, email: str) -> list[OutgoingEmail]:
    return [
        e.email
        for e in container.mailbox.entries()
        if e.email.to.email == email and e.email.subject.startswith("Introduction:")
    ]


async def test_connector_and_expert_walk_an_introduction_through_the_browser(
    browser: Browser, served: Served
) -> None:
    api, base = served.api, served.base_url
    asker = await person(api, "Ada Asker", headline="Founder")
    connector = await person(api, "Carl Connector")
    expert = await person(api, "Erin Expert", headline="Pricing lead", expertise=["pricing"])
    r = await api.post(
        f"/v1/people/{connector['id']}/connections",
        json={"person_id": expert["id"], "strength": 4, "context": "worked together"},
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/v1/intro-requests",
        json={
            "asker_id": asker["id"],
            "connector_id": connector["id"],
            "topic": "pricing a B2B SaaS product",
            "message": "I'm launching a product and want to learn how to price it.",
        },
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]

    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()

    # The connector finds the ask in their mail and follows the link.
    await open_from_mailbox(page, base, connector["email"])
    await expect(page.locator("h1")).to_contain_text("pricing a B2B SaaS product")
    await expect(page.locator("blockquote")).to_contain_text("learn how to price it")
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await check_small_screen(browser, page.url)

    await page.get_by_label("Someone you know").select_option(expert["id"])
    await page.get_by_label("A note for them (optional)").first.fill(
        "Erin priced three SaaS tools."
    )
    await page.get_by_role("button", name="Ask them").click()
    await expect(page.locator("h1")).to_have_text("Done")
    await expect(page.locator("main")).to_contain_text("We have asked them")

    # The expert reads who asks and why, and agrees with one click.
    await open_from_mailbox(page, base, expert["email"])
    await expect(page.locator("main")).to_contain_text("Erin priced three SaaS tools.")
    await check_small_screen(browser, page.url)
    await page.get_by_role("button", name="Yes, introduce us").click()
    await expect(page.locator("main")).to_contain_text("We have introduced you by email")
    await context.close()

    # Everyone is introduced: the asker's email names the expert.
    async def introduced() -> bool:
        return bool(introductions_to(served.container, asker["email"]))

    await eventually(introduced, "the asker's introduction email")
    (intro,) = introductions_to(served.container, asker["email"])
    assert "Erin Expert" in intro.subject and expert["email"] in intro.text
    r = await api.get(f"/v1/intro-requests/{request_id}")
    assert (r.json()["state"], r.json()["expert_id"]) == ("introduced", expert["id"])


async def test_a_blurb_with_a_long_link_still_fits_a_phone_screen(
    browser: Browser, served: Served
) -> None:
    """Askers paste links into their blurb; an unbreakable one must wrap, not push the
    buttons off a 375px screen."""
    api = served.api
    asker = await person(api, "Ada Asker")
    connector = await person(api, "Carl Connector")
    deck = "https://docs.example.com/presentation/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
    r = await api.post(
        "/v1/intro-requests",
        json={
            "asker_id": asker["id"],
            "connector_id": connector["id"],
            "topic": "pricing",
            "message": f"Our pricing deck is at {deck} if that helps.",
        },
    )
    assert r.status_code == 201, r.text
    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = await context.new_page()
        await open_from_mailbox(page, served.base_url, connector["email"])
        await expect(page.locator("blockquote")).to_contain_text(deck)
        await check_small_screen(browser, page.url)
    finally:
        await context.close()
