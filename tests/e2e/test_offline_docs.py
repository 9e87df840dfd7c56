"""`/docs` and `/redoc` work with no network beyond the service: every script,
stylesheet and icon they name is the service's own, served with its type, and in
Chromium with every request elsewhere refused Swagger UI lists the operations and
ReDoc renders them, having asked nothing of any other host."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, Route, expect

from tests.e2e.apps import app_with, calling, client
from tests.e2e.pages import chromium
from tests.e2e.servers import loopback_socket, serving

browser = chromium.browser
TYPES = {"script": ("text/javascript", "application/javascript"), "stylesheet": ("text/css",)}


class Assets(HTMLParser):
    """(kind, URL) of each script, stylesheet and icon a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.found.append(("script", a["src"] or ""))
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower()
            self.found.append(("stylesheet" if "stylesheet" in rel else "icon", a["href"] or ""))


def assets_of(html: str) -> list[tuple[str, str]]:
    parser = Assets()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(("page", "kinds"), [("/docs", 3), ("/redoc", 2)])
async def test_every_asset_a_docs_page_names_is_ours_and_served_with_its_type(
    page: str, kinds: int
) -> None:
    async with client() as c:
        r = await c.get(page)
        assert r.status_code == 200
        assert (await c.head(page)).status_code == 200
        found = assets_of(r.text)
        assert len(found) == kinds, found
        assert not any(p in r.text for p in ("https://", "http://", "//cdn", "googleapis"))
        # What the bundles would fetch on their own the browser refuses.
        assert "default-src 'self'" in r.headers["content-security-policy"]
        for kind, url in found:
            assert url.startswith("/") and not url.startswith("//"), url
            asset = await c.get(url)
            assert asset.status_code == 200, url
            media = asset.headers["content-type"].split(";")[0]
            assert media in TYPES.get(kind, ("image/png",)), (url, media)
            assert len(asset.content) > 1000, url


@pytest.fixture
async def docs_url() -> AsyncIterator[str]:
    """The app served on a loopback port (the docs need no database)."""
    async with app_with() as app, serving(app, loopback_socket()) as url:
        yield url


async def offline(page: Page) -> list[str]:
    """Refuse every request not to 127.0.0.1; returns the list of those refused."""
    refused: list[str] = []

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_loopback)
    return refused


async def test_swagger_ui_lists_the_operations_offline(browser: Browser, docs_url: str) -> None:
    page = await browser.new_page()
    refused = await offline(page)
    await page.goto(f"{docs_url}/docs")
    create = page.locator(".opblock-post", has_text="/v1/intro-requests").first
    await expect(create).to_be_visible(timeout=15_000)
    assert await page.locator(".opblock").count() > 20
    assert refused == []
    await page.close()


async def test_redoc_renders_the_operations_offline(browser: Browser, docs_url: str) -> None:
    page = await browser.new_page()
    refused = await offline(page)
    await page.goto(f"{docs_url}/redoc")
    await expect(page.get_by_text("/v1/intro-requests").first).to_be_attached(timeout=15_000)
    assert await page.locator("[data-section-id^='operation/']").count() > 20
    assert refused == []
    await page.close()


async def test_the_spec_the_pages_load_is_the_services_own(docs_url: str) -> None:
    async with httpx.AsyncClient(base_url=docs_url, trust_env=False) as c:
        spec = (await c.get("/openapi.json")).json()
    assert spec["info"]["title"] == "warmintro"


async def test_an_app_that_served_its_docs_is_freed_once_dropped() -> None:
    """The docs pages are functions of the module: FastAPI remembers how each endpoint
    it saw is called, process-wide, so a page closing over its app kept every app a
    process built (the test suite's hundreds: gigabytes, and a minute in the garbage
    collector at exit)."""

    async def served_and_dropped() -> weakref.ref[FastAPI]:
        async with app_with() as app, calling(app) as c:
            assert (await c.get("/docs")).status_code == 200
            assert (await c.get("/redoc")).status_code == 200
            return weakref.ref(app)

    dropped = await served_and_dropped()
    gc.collect()
    assert dropped() is None
