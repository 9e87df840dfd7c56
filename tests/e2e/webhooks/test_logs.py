"""A whole intro as production logs it: the service live on loopback with uvicorn's
access log, mail through a real SMTP server, webhooks to a real receiver, every
line captured in the JSON format.

Every line is one JSON object; each email sent and each webhook delivery attempt
is one line with its ids and outcome (a refused first try of each included); and
no line holds a link token, a member token, the API key, the webhook secret or
URL, an email address or a line of an email."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from tests.clock import FakeClock
from tests.e2e.live import live
from tests.e2e.mail import ACTION_PATH, action_tokens
from tests.e2e.webhooks.drivers import Hooks
from tests.e2e.webhooks.receiver import Receiver, Reply
from tests.e2e.world import World
from tests.logs import CapturedLogs, captured_logs
from tests.smtp import SmtpCatcher, smtp_transport
from warmintro.api.container import Container
from warmintro.infra.settings import Settings

smtp_port, settings, catcher = smtp_transport()  # webhooks still reach loopback

WAIT_SECONDS = 10.0
BLURB = "I am launching a B2B analytics product and want to learn how to price it."
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


async def until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s in vain for {what}"
        await asyncio.sleep(0.02)


def logged(logs: CapturedLogs, event: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(logs.events(event))

    return check


async def intro(
    world: World, catcher: SmtpCatcher, clock: FakeClock, logs: CapturedLogs
) -> tuple[str, str]:
    """Ada asks Carl, whose first email meets a 451 and goes on the retry; Carl asks
    Erin from his email's link; Erin accepts with a member token. Returns the
    request's id and Erin's member token."""
    ada = await world.person("Ada Asker")
    carl = await world.person("Carl Connector")
    erin = await world.person("Erin Expert", expertise=["pricing"])
    await world.connect(carl["id"], erin["id"], strength=5)
    request: str = (await world.ask(ada["id"], carl["id"], topic="pricing", message=BLURB))["id"]
    await until("an email retried", logged(logs, "email retry"))
    await until("a webhook retried", logged(logs, "webhook retry"))
    catcher.reply = "250 2.0.0 Ok: queued"
    clock.advance(timedelta(minutes=2))  # past the first backoff of each

    async def sent(template: str) -> bool:
        return any(r.status == "sent" for r in await world.mail.rows(request, template))

    await until("the connector's ask", lambda: sent("connector_ask"))
    [ask] = await world.mail.rows(request, "connector_ask")
    text = catcher.by_message_id(ask.message_id).message.get_body(("plain",))
    assert text is not None
    [path] = set(ACTION_PATH.findall(text.get_content()))  # "Ask Erin" adds ?expert=
    link = f"{str(world.api.base_url).rstrip('/')}{path}"
    async with httpx.AsyncClient(trust_env=False) as browser:
        assert (await browser.get(link)).status_code == 200
        chosen = await browser.post(link, data={"action": "propose", "expert_id": erin["id"]})
        assert chosen.status_code == 200, chosen.text
    token = await world.token(erin["id"])
    accepted = await world.api.post(
        f"/v1/intro-requests/{request}/accept",
        headers={"Authorization": f"Bearer {token}"},
        json={"note": "Happy to help with pricing."},
    )
    assert accepted.status_code == 200, accepted.text
    await until("the introduction", lambda: sent("introduction"))
    return request, token


async def test_a_whole_intro_logs_a_json_line_per_email_and_webhook_and_no_secret(
    settings: Settings,
    clock: FakeClock,
    container: Container,  # empties the queues this suite's database may hold
    catcher: SmtpCatcher,
    receiver: Receiver,
) -> None:
    catcher.reply = "451 4.3.0 Try again later"
    receiver.script(Reply(500, "busy"))
    with captured_logs() as logs:
        async with live(settings, clock, "Logged Alumni", access_log=True) as world:
            hooks = Hooks(world.api, world.container)
            endpoint = await hooks.register(receiver.url)
            request, member_token = await intro(world, catcher, clock, logs)

            async def all_delivered() -> bool:
                got = await hooks.deliveries(endpoint["id"])
                types = {d["event_type"] for d in got}
                done = all(d["status"] == "delivered" for d in got)
                return done and "intro_request.introduced" in types

            await until("every webhook delivered", all_delivered)
            rows = await world.mail.rows(request)
            deliveries = await hooks.deliveries(endpoint["id"])
            people = await collect_people(world)
            api_key = world.workspace.api_key

    lines = logs.lines()  # each one a JSON object
    assert all({"event", "level", "logger", "timestamp"} <= line.keys() for line in lines)

    sent = {line["outbox_id"]: line for line in logs.events("email sent")}
    assert {str(r.id) for r in rows} == set(sent), "one line per email sent"
    for row in rows:
        line = sent[str(row.id)]
        assert (line["template"], line["backend"], line["outcome"]) == (
            row.template,
            "smtp",
            "sent",
        )
        assert (line["recipient_domain"], line["attempt"]) == ("example.com", row.attempts)
    retried = logs.events("email retry")  # the ask's first two emails met the 451
    assert retried and all(line["outbox_id"] in sent for line in retried)
    for line in retried:
        assert (line["error"], line["attempt"]) == ("SMTPDataError", 1)
        assert line["recipient_domain"] == "example.com"

    delivered = {line["delivery_id"]: line for line in logs.events("webhook delivered")}
    assert {d["id"] for d in deliveries} == set(delivered), "one line per delivery"
    for delivery in deliveries:
        line = delivered[delivery["id"]]
        assert (line["endpoint_id"], line["event_type"]) == (endpoint["id"], delivery["event_type"])
        assert (line["status"], line["outcome"]) == (200, "delivered")
    [refused] = logs.events("webhook retry")
    assert (refused["status"], refused["attempt"], refused["endpoint_id"]) == (
        500,
        1,
        endpoint["id"],
    )
    assert delivered[refused["delivery_id"]]["attempt"] == 2

    links = [line for line in lines if str(line.get("path", "")).startswith("/a/")]
    assert links and all(line["path"] == "/a/…" and line["request_id"] for line in links)

    secrets = [api_key, endpoint["secret"], receiver.path, member_token]
    for received in catcher.received:
        body, html = (part.get_content() for part in received.message.iter_parts())
        secrets += action_tokens(f"{body} {html} {received.message['List-Unsubscribe']}")
        secrets += [line for line in body.splitlines() if len(line) > 30]
    secrets += [BLURB, "Happy to help with pricing."]
    assert len(secrets) > 10
    leaked = [s for s in secrets if s in logs.text]
    assert not leaked, leaked
    assert not ADDRESS.search(logs.text), ADDRESS.search(logs.text)
    assert all(p["email"] not in logs.text for p in people)


async def collect_people(world: World) -> list[dict[str, Any]]:
    r = await world.api.get("/v1/people")
    assert r.status_code == 200, r.text
    people: list[dict[str, Any]] = r.json()["items"]
    return people
