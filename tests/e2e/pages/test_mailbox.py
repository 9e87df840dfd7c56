"""The development mailbox: each email as it would look, its headers, its links as
buttons; served only in development."""

from __future__ import annotations

import secrets

import httpx

from tests.clock import FakeClock
from tests.e2e.cast import ONE_SUGGESTION
from tests.e2e.mail import Mailroom
from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World
from tests.settings import SettingsWithoutEnvFile
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap


async def test_the_dev_mailbox_shows_mail_in_development_only(
    world: World,
    mailroom: Mailroom,
    visitor: httpx.AsyncClient,
    database_url: str,
    clock: FakeClock,
) -> None:
    cast = await ONE_SUGGESTION.cast(world)
    await cast.ask(world)
    ask = await mailroom.latest("connector_ask", cast.connector.id)
    r = await visitor.get("/dev/mailbox")
    assert_page(r, 200, "Dev mailbox", ask.email.subject)
    assert f'href="http://127.0.0.1:8000{ask.action_path}"' in r.text

    settings = SettingsWithoutEnvFile(
        database_url=database_url,
        environment="production",
        secret_key=secrets.token_urlsafe(30)[:40],
        public_base_url="https://intros.example.org",
    )
    production = bootstrap(settings, clock)
    try:
        app = create_app(container=production, migrate_on_start=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.get("/dev/mailbox")
            assert_page(r, 404)
            assert ask.email.subject not in r.text
            # Links signed with the development key mean nothing to production.
            assert_page(await client.get(ask.action_path), 404)
    finally:
        await production.close()
