"""What goes wrong behind a link is answered with a page, and the link's token,
a credential, never reaches the log."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.e2e.pages.reading import assert_page
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.domain.use_cases import UseCases

TOKEN = "eyJ0eXAiOiJKV1Qi.a-link-token-is-a-credential.c2lnbmF0dXJl"


class Broken(UseCases):
    """The use cases failing as a bug would."""

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug behind the page")


async def test_a_crash_behind_a_link_is_a_page_and_the_token_stays_out_of_the_log(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    broken = replace(container, use_cases=Broken(container.use_cases.env))
    app = create_app(container=broken, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    caplog.set_level(logging.DEBUG, logger="warmintro")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as visitor:
        shown = await visitor.get(f"/a/{TOKEN}")
        posted = await visitor.post(f"/a/{TOKEN}", data={"action": "accept"})

    assert_page(shown, 500, "Something went wrong on our side")
    assert_page(posted, 500, "Something went wrong on our side")
    # What the service logs (the test client logs its own requests, URL and all).
    logged = "\n".join(
        logging.Formatter().format(r) for r in caplog.records if r.name.startswith("warmintro")
    )
    assert "a bug behind the page" in logged, "the error itself is logged"
    assert "/a/{token}" in logged
    assert TOKEN not in logged and "a-link-token" not in logged
