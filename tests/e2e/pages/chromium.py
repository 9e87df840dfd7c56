"""Debian's Chromium, driven by Playwright, for the tests that walk the pages as
people do. Never a downloaded browser: without /usr/bin/chromium these tests skip
with the reason, unless WARMINTRO_REQUIRE_BROWSER=1 (as in CI), which turns the
skip into a failure."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

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
