"""A database that cannot be reached (here: nothing listens on the port) is an outage
to wait out, on every surface: the API answers 503 problem+json and an email link
answers a 503 page, both with Retry-After and the usual headers, never a 500."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.e2e.apps import app_with, calling, client
from tests.e2e.servers import free_port
from warmintro.api.container import Container
from warmintro.domain.action_links import Purpose
from warmintro.infra.tokens import ActionTokens


def _nowhere() -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/warmintro"


async def test_the_api_answers_503_with_retry_after_when_the_database_is_out_of_reach() -> None:
    async with client(database_url=_nowhere()) as api:
        key = f"wik_{uuid.uuid4().hex}_{'k' * 43}"  # well formed: it is looked up
        r = await api.get("/v1/people", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "database_unavailable"
    assert int(r.headers["retry-after"]) > 0
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_an_email_link_answers_a_503_page_when_the_database_is_out_of_reach() -> None:
    async with app_with(database_url=_nowhere()) as app, calling(app) as browser:
        container: Container = app.state.container
        settings = container.settings
        tokens = ActionTokens(settings.secret_key, settings.previous_secret_keys, container.clock)
        ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
        token, _ = tokens.mint(Purpose.CONNECTOR, *ids, timedelta(days=1))
        shown = await browser.get(f"/a/{token}")
        acted = await browser.post(f"/a/{token}", data={"action": "decline"})
    for r in (shown, acted):
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "try again in a minute" in r.text
        assert int(r.headers["retry-after"]) > 0
        assert "Traceback" not in r.text
