"""A validly signed SendGrid batch with odd values: each odd event is skipped, logged
without its address and counted; the rest act; the batch answers 200 (never a 500),
so SendGrid stops resending it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.webhooks.drivers import SendGrid
from tests.e2e.world import World


async def status_of(api: httpx.AsyncClient, person_id: str) -> str:
    r = await api.get(f"/v1/people/{person_id}")
    assert r.status_code == 200, r.text
    status: str = r.json()["email_status"]
    return status


def oddities(sendgrid: SendGrid, email: str) -> dict[str, Any]:
    """Each a bounce for `email`, spoilt one way."""

    def bounce(**changes: Any) -> dict[str, Any]:
        event = sendgrid.event("bounce", email)
        for name, value in changes.items():
            if value is ...:
                del event[name]
            else:
                event[name] = value
        return event

    return {
        "a timestamp far in the future": bounce(timestamp=10**18),
        "a timestamp past any calendar": bounce(timestamp=10**400),
        "a negative timestamp": bounce(timestamp=-(10**12)),
        "a timestamp before 2000": bounce(timestamp=5),
        "a string timestamp": bounce(timestamp="1700000000"),
        "a NaN timestamp": bounce(timestamp=float("nan")),
        "a boolean timestamp": bounce(timestamp=True),
        "an object timestamp": bounce(timestamp={"at": 1}),
        "no event type": bounce(event=...),
        "an unknown event type": bounce(event="exploded"),
        "a numeric event type": bounce(event=7),
        "no email": bounce(email=...),
        "an email that is a list": bounce(email=[email]),
        "no sg_event_id": bounce(sg_event_id=...),
        "an sg_event_id that is a number": bounce(sg_event_id=12),
        "an sg_message_id that is an object": bounce(sg_message_id={"id": "x"}),
        "a workspace_id that is a number": bounce(workspace_id=12),
        "a workspace_id that is not a UUID": bounce(workspace_id="ours"),
        "a list instead of an event": [email],
        "a string instead of an event": email,
        "null instead of an event": None,
    }


async def test_an_odd_event_is_skipped_and_the_rest_of_its_batch_acts(
    world: World,
    sendgrid: SendGrid,
    api: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bystander = await world.person("Bystander Bea")
    dead = await world.person("Dead Dave")
    odd = oddities(sendgrid, bystander["email"])
    good = sendgrid.event("bounce", dead["email"])

    r = await sendgrid.post(*odd.values(), good)

    assert r.status_code == 200, r.text
    assert r.json() == {"received": len(odd) + 1, "new": 1, "skipped": len(odd)}
    assert await status_of(api, dead["id"]) == "bounced"
    assert await status_of(api, bystander["id"]) == "ok", "no odd event acted"
    skipped = [rec.getMessage() for rec in caplog.records if "skipped SendGrid" in rec.message]
    assert len(skipped) == len(odd)
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert bystander["email"] not in logged and dead["email"] not in logged


async def test_each_odd_event_alone_answers_200_and_acts_on_nothing(
    world: World, sendgrid: SendGrid, api: httpx.AsyncClient
) -> None:
    bystander = await world.person("Bystander Bo")
    for name, event in oddities(sendgrid, bystander["email"]).items():
        r = await sendgrid.post(event)
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text}"
        assert r.json() == {"received": 1, "new": 0, "skipped": 1}, name
    assert await status_of(api, bystander["id"]) == "ok"


async def test_a_float_timestamp_in_range_is_read(
    world: World, sendgrid: SendGrid, api: httpx.AsyncClient
) -> None:
    dead = await world.person("Dead Dora")
    event = sendgrid.event("bounce", dead["email"])
    event["timestamp"] = event["timestamp"] + 0.25

    r = await sendgrid.post(event)

    assert r.status_code == 200 and r.json()["new"] == 1, r.text
    assert await status_of(api, dead["id"]) == "bounced"
