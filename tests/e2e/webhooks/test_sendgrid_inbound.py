"""SendGrid's signed Event Webhook in: bounces stop mail and move waiting requests on,
deliveries and opens are noted, each event acts once, and nothing unsigned acts."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom, addressed_to
from tests.e2e.webhooks.drivers import SIGNATURE, TIMESTAMP, SendGrid
from tests.e2e.world import Cases, World, assert_problem
from tests.settings import SettingsWithoutEnvFile
from tests.workspaces import Workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra.tables import inbound_events


async def sent_row(mail: Mailroom, request_id: str, template: str) -> Any:
    """The one outbox row of this template for the request, already sent."""
    (row,) = await mail.rows(request_id, template)
    assert row.status == "sent", row
    return row


async def person(world: World, name: str, **fields: Any) -> tuple[str, str]:
    p = await world.person(name, **fields)
    return p["id"], p["email"]


async def email_status(api: httpx.AsyncClient, person_id: str) -> str:
    r = await api.get(f"/v1/people/{person_id}")
    assert r.status_code == 200, r.text
    status: str = r.json()["email_status"]
    return status


async def inbound_count(container: Container, ws: uuid.UUID) -> int:
    async with container.engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(inbound_events)
                .where(inbound_events.c.workspace_id == ws)
            )
        ).scalar_one()


# ---- bounces ----------------------------------------------------------------------------


async def test_a_bounce_for_the_expert_stops_their_mail_and_returns_the_request_to_the_connector(
    world: World,
    sendgrid: SendGrid,
    api: httpx.AsyncClient,
) -> None:
    connector, connector_email = await person(world, "Connie Connector")
    expert, expert_email = await person(world, "Ezra Expert", expertise=["pricing"])
    askers = [await person(world, f"Asker {n}") for n in range(4)]
    r1 = (await world.ask(askers[0][0], connector, topic="pricing one"))["id"]
    r3 = (await world.ask(askers[2][0], connector, topic="pricing three"))["id"]
    for rid in (r1, r3):
        await world.do(rid, "propose", connector, {"expert_id": expert, "note": "ask Ezra"})
    await world.mail.run()
    consent = await sent_row(world.mail, r1, "expert_consent")
    # Still queued when the bounce comes: the introduction of r3 and the ask of r2.
    await world.do(r3, "accept", expert)
    r2 = (await world.ask(askers[1][0], connector, topic="pricing two"))["id"]
    await world.do(r2, "propose", connector, {"expert_id": expert})
    mail_to_expert = len(addressed_to(world.mail.emails(), expert_email))

    r = await sendgrid.post(
        sendgrid.event("bounce", expert_email, outbox_id=consent.id, request_id=r1)
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 1, "new": 1, "skipped": 0}

    assert await email_status(api, expert) == "bounced"
    for rid in (r1, r2):
        view = await world.view(rid)
        assert view["state"] == "awaiting_connector", view
        assert view["connector_id"] == connector and view["expert_id"] is None
        (unreachable,) = [
            e for e in await world.events(rid) if e["type"] == "intro_request.expert_unreachable"
        ]
        assert unreachable["data"]["expert_id"] == expert
    assert (await world.view(r3))["state"] == "introduced"

    await world.mail.run()
    told = await world.mail.rows(template="connector_expert_unreachable")
    assert sorted(str(row.request_id) for row in told) == sorted([r1, r2])
    assert {(row.recipient_id, row.status) for row in told} == {(uuid.UUID(connector), "sent")}
    subjects = [
        e.subject
        for e in addressed_to(world.mail.emails(), connector_email)
        if "could not reach" in e.subject.lower()
    ]
    assert len(subjects) == 2, subjects

    assert len(addressed_to(world.mail.emails(), expert_email)) == mail_to_expert
    (queued_ask,) = await world.mail.rows(request_id=r2, template="expert_consent")
    assert queued_ask.status == "skipped"
    # The one introduction still reaches the asker (and the connector), not the bounced expert.
    (intro,) = await world.mail.rows(request_id=r3, template="introduction")
    assert (str(intro.recipient_id), intro.status) == (askers[2][0], "sent")

    r = await world.act(r1, "propose", connector, {"expert_id": expert})
    assert_problem(r, 409, "recipient_unavailable")
    r4 = (await world.ask(askers[3][0], connector, topic="pricing four"))["id"]
    r = await world.act(r4, "propose", connector, {"expert_id": expert})
    assert_problem(r, 409, "recipient_unavailable")

    # The asker sees that the request waits on the connector again, and nothing else.
    asker, asker_email = askers[0]
    seen = await world.view(r1, asker)
    assert seen["state"] == "awaiting_connector"
    assert seen["expert_id"] is None and seen["decline_reason"] is None
    timeline = await world.events(r1, asker)
    assert [e["type"] for e in timeline] == ["intro_request.created"]
    assert expert not in json.dumps(seen) + json.dumps(timeline)
    to_asker = addressed_to(world.mail.emails(), asker_email)
    assert [e.subject for e in to_asker] == [
        'Your ask about "pricing one" went to Connie Connector'
    ]


async def test_a_bounce_for_the_connector_hands_the_request_to_the_fallback(
    world: World,
    sendgrid: SendGrid,
    api: httpx.AsyncClient,
) -> None:
    asker = await world.pid("Asker")
    connector, connector_email = await person(world, "First Connector")
    fallback, fallback_email = await person(world, "Fallback Connector")
    rid = (await world.ask(asker, connector, fallback_connector_ids=[fallback]))["id"]
    await world.mail.run()
    ask = await sent_row(world.mail, rid, "connector_ask")

    r = await sendgrid.post(
        sendgrid.event("bounce", connector_email, outbox_id=ask.id, request_id=rid)
    )
    assert r.status_code == 200, r.text

    assert await email_status(api, connector) == "bounced"
    view = await world.view(rid)
    assert view["state"] == "awaiting_connector"
    assert view["connector_id"] == fallback
    handed = [e for e in await world.events(rid) if e["type"] == "intro_request.handed_off"]
    assert [(e["data"]["from_connector_id"], e["data"]["connector_id"]) for e in handed] == [
        (connector, fallback)
    ]
    await world.mail.run()
    asks = await world.mail.rows(request_id=rid, template="connector_ask")
    # Both rows share the fake clock's instant, so compare without order.
    assert sorted((str(a.recipient_id), a.status) for a in asks) == sorted(
        [(connector, "sent"), (fallback, "sent")]
    )
    assert len(addressed_to(world.mail.emails(), fallback_email)) == 1


async def test_a_bounce_for_the_connector_without_fallback_expires_the_request_neutrally(
    world: World, sendgrid: SendGrid
) -> None:
    asker, asker_email = await person(world, "Asker")
    connector, connector_email = await person(world, "Lone Connector")
    rid = (await world.ask(asker, connector))["id"]
    await world.mail.run()
    ask = await sent_row(world.mail, rid, "connector_ask")

    r = await sendgrid.post(
        sendgrid.event("bounce", connector_email, outbox_id=ask.id, request_id=rid)
    )
    assert r.status_code == 200, r.text
    assert (await world.view(rid))["state"] == "expired"
    await world.mail.run()

    (told,) = await world.mail.rows(request_id=rid, template="asker_expired")
    assert (str(told.recipient_id), told.status) == (asker, "sent")
    (_, email) = addressed_to(world.mail.emails(), asker_email)  # "your ask went", then this
    for word in ("bounce", "unreachable", "could not reach", connector_email):
        assert word not in (email.subject + email.text).lower(), word


async def test_a_bounced_connector_is_not_copied_on_a_later_introduction(
    world: World, sendgrid: SendGrid
) -> None:
    """No more mail goes to a bounced address, as Cc neither."""
    party = await world.party()
    connector_email = (await world.api.get(f"/v1/people/{party.connector}")).json()["email"]
    await world.mail.run()  # the ask goes out while the connector is still asked
    ask = await sent_row(world.mail, party.request, "connector_ask")
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    await world.mail.run()
    r = await sendgrid.post(
        sendgrid.event("bounce", connector_email, outbox_id=ask.id, request_id=party.request)
    )
    assert r.status_code == 200, r.text
    assert (await world.view(party.request))["state"] == "awaiting_expert"
    before = len(addressed_to(world.mail.emails(), connector_email))

    await world.do(party.request, "accept", party.expert)
    await world.mail.run()

    intros = await world.mail.rows(request_id=party.request, template="introduction")
    assert [row.status for row in intros] == ["sent"]
    after = addressed_to(world.mail.emails(), connector_email)
    assert len(after) == before, [(e.subject, e.to, e.cc) for e in after[before:]]


async def test_each_undeliverable_kind_marks_the_address(
    world: World, sendgrid: SendGrid, api: httpx.AsyncClient
) -> None:
    cases = Cases()
    for kind, status in (
        ("bounce", "bounced"),
        ("dropped", "bounced"),
        ("spamreport", "suppressed"),
    ):
        with cases.case(kind):
            pid, email = await person(world, f"Person {kind}")
            r = await sendgrid.post(sendgrid.event(kind, email.upper()))
            assert r.status_code == 200, r.text
            assert r.json()["new"] == 1
            assert await email_status(api, pid) == status
    with cases.case("a temporary block is not a dead address"):
        pid, email = await person(world, "Blocked Person")
        event = sendgrid.event("bounce", email)
        event["type"] = "blocked"
        r = await sendgrid.post(event)
        assert r.status_code == 200 and r.json()["new"] == 1, r.text
        assert await email_status(api, pid) == "ok"
    with cases.case("a drop for a bad message is not a dead address"):
        pid, email = await person(world, "Dropped Person")
        event = sendgrid.event("dropped", email)
        event["reason"] = "Invalid SMTPAPI header"
        r = await sendgrid.post(event)
        assert r.status_code == 200 and r.json()["new"] == 1, r.text
        assert await email_status(api, pid) == "ok"
    with cases.case("an event that is not ours"):
        pid, email = await person(world, "Someone")
        event = sendgrid.event("bounce", email)
        del event["workspace_id"]
        r = await sendgrid.post(event)
        assert r.status_code == 200 and r.json() == {"received": 1, "new": 0, "skipped": 1}, r.text
        assert await email_status(api, pid) == "ok"
    cases.check()


# ---- deliveries and opens, dedupe --------------------------------------------------------


async def test_delivered_and_open_events_are_noted_on_the_outbox_row(
    world: World,
    sendgrid: SendGrid,
    clock: FakeClock,
    api: httpx.AsyncClient,
) -> None:
    party = await world.party()
    await world.mail.run()
    ask = await sent_row(world.mail, party.request, "connector_ask")
    assert ask.delivered_at is None and ask.opened_at is None
    email = (await api.get(f"/v1/people/{party.connector}")).json()["email"]
    delivered_at = clock.now() - timedelta(seconds=40)
    opened_at = clock.now() - timedelta(seconds=10)

    r = await sendgrid.post(
        sendgrid.event(
            "delivered", email, outbox_id=ask.id, request_id=party.request, at=delivered_at
        ),
        sendgrid.event("open", email, outbox_id=ask.id, request_id=party.request, at=opened_at),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 2, "new": 2, "skipped": 0}

    row = await sent_row(world.mail, party.request, "connector_ask")
    assert row.delivered_at == delivered_at
    assert row.opened_at == opened_at
    assert await email_status(api, party.connector) == "ok"
    assert (await world.view(party.request))["state"] == "awaiting_connector"


async def test_the_same_event_twice_acts_once(
    world: World, sendgrid: SendGrid, container: Container, workspace: Workspace
) -> None:
    ws = workspace.id
    party = await world.party()
    email = (await world.api.get(f"/v1/people/{party.connector}")).json()["email"]
    await world.mail.run()
    ask = await sent_row(world.mail, party.request, "connector_ask")
    bounce = sendgrid.event("bounce", email, outbox_id=ask.id, request_id=party.request)

    first = await sendgrid.post(bounce)
    again = await sendgrid.post(bounce)
    assert first.status_code == again.status_code == 200
    assert first.json()["new"] == 1
    assert again.json() == {"received": 1, "new": 0, "skipped": 0}

    open_ = sendgrid.event("open", email, outbox_id=ask.id, request_id=party.request)
    twice_in_one_batch = await sendgrid.post(open_, open_)
    assert twice_in_one_batch.json() == {"received": 2, "new": 1, "skipped": 0}

    events = await world.events(party.request)
    assert [e["type"] for e in events] == ["intro_request.created", "intro_request.expired"]
    await world.mail.run()
    told = await world.mail.rows(request_id=party.request, template="asker_expired")
    assert len(told) == 1
    assert await inbound_count(container, ws) == 2


# ---- the signature is the credential -----------------------------------------------------


async def test_unsigned_tampered_foreign_or_stale_events_are_refused_and_change_nothing(
    world: World,
    sendgrid: SendGrid,
    container: Container,
    workspace: Workspace,
    api: httpx.AsyncClient,
) -> None:
    ws = workspace.id
    party = await world.party()
    email = (await api.get(f"/v1/people/{party.connector}")).json()["email"]
    await world.mail.run()
    ask = await sent_row(world.mail, party.request, "connector_ask")
    body = sendgrid.body(
        [sendgrid.event("bounce", email, outbox_id=ask.id, request_id=party.request)]
    )
    before = await world.snapshot(party.request)
    now = int(sendgrid.clock.now().timestamp())
    good = sendgrid.headers(body)

    def without(name: str) -> dict[str, str]:
        return {k: v for k, v in good.items() if k != name}

    # One byte, and still a bounce for the same person (emails match case-insensitively).
    tampered = body.replace(b'"email": "p', b'"email": "P', 1)
    assert len(tampered) == len(body) and tampered != body
    cases = Cases()
    for name, content, headers in (
        ("a changed byte in the body", tampered, good),
        ("no signature header", body, without(SIGNATURE)),
        ("no timestamp header", body, without(TIMESTAMP)),
        ("no headers at all", body, {"Content-Type": "application/json"}),
        (
            "signed by another key",
            body,
            sendgrid.headers(body, key=ec.generate_private_key(ec.SECP256R1())),
        ),
        ("signed over another timestamp", body, {**good, TIMESTAMP: str(now - 1)}),
        ("a stale timestamp", body, sendgrid.headers(body, timestamp=str(now - 5 * 60 - 1))),
        ("a timestamp from the future", body, sendgrid.headers(body, timestamp=str(now + 600))),
        ("a garbled signature", body, {**good, SIGNATURE: "not*base64!"}),
    ):
        with cases.case(name):
            r = await sendgrid.post_raw(content, headers)
            assert r.status_code in (401, 403), (r.status_code, r.text)
            assert_problem(r, r.status_code)
            assert await world.snapshot(party.request) == before
            assert await email_status(api, party.connector) == "ok"
            assert await inbound_count(container, ws) == 0
    cases.check()

    # The same body, signed a little under five minutes ago, is taken.
    r = await sendgrid.post_raw(body, sendgrid.headers(body, timestamp=str(now - 4 * 60)))
    assert r.status_code == 200, r.text
    assert (await world.view(party.request))["state"] == "expired"


async def test_without_a_configured_public_key_every_event_is_refused(
    database_url: str, clock: FakeClock, sendgrid: SendGrid
) -> None:
    bare = bootstrap(SettingsWithoutEnvFile(database_url=database_url), clock)
    try:
        app = create_app(container=bare, migrate_on_start=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = sendgrid.body([sendgrid.event("bounce", "someone@example.com")])
            r = await client.post(
                "/v1/inbound/sendgrid/events", content=body, headers=sendgrid.headers(body)
            )
            assert_problem(r, 401)
    finally:
        await bare.close()
