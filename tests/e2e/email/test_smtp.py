"""The SMTP transport against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom
from tests.e2e.world import World
from tests.smtp import SmtpCatcher, smtp_server, smtp_transport
from warmintro.infra.tables import people

smtp_port, settings, catcher = smtp_transport()


def addr(person: dict[str, Any]) -> str:
    email: str = person["email"]
    return email


async def test_a_flows_emails_arrive_as_multipart_alternative_to_the_right_recipients(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher
) -> None:
    asker = await world.person("Ada Asker")
    connector = await world.person("Carl Connector")
    expert = await world.person("Jane Pricing", expertise=["pricing"])
    rid = (await world.ask(asker["id"], connector["id"]))["id"]
    await world.do(rid, "propose", connector["id"], {"expert_id": expert["id"]})
    await world.do(rid, "accept", expert["id"])
    await mailroom.run()

    rows = await mailroom.rows(rid)
    assert sorted(r.template for r in rows) == [
        "asker_ask_sent",
        "connector_ask",
        "expert_consent",
        "introduction",
    ]
    assert all(r.status == "sent" for r in rows), [(r.template, r.last_error) for r in rows]
    assert len(catcher.received) == 4
    people = {p["id"]: p for p in (asker, connector, expert)}
    reply_to = {
        "connector_ask": asker,
        "expert_consent": connector,
    }
    for row in rows:
        got = catcher.by_message_id(row.message_id)
        msg = got.message
        recipient = people[str(row.recipient_id)]
        also_to = [people[t] for t in row.also_to_ids]
        cc = [people[c] for c in row.cc_ids]
        assert got.mail_from == "intros@localhost"
        assert got.rcpt_tos == [addr(recipient), *map(addr, also_to), *map(addr, cc)]
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        text, html = (p.get_content() for p in parts)
        assert "pricing a B2B SaaS product" in text and "<!doctype html>" in html.lower()
        assert msg["Message-ID"] == row.message_id == f"<{row.id}@localhost>"
        assert addr(recipient) in msg["To"] and recipient["name"] in msg["To"]
        [sender] = msg["From"].addresses  # the community's name, our address
        assert (sender.display_name, sender.addr_spec) == (
            f"{world.workspace.name} via warmintro",
            "intros@localhost",
        )
        assert msg["Subject"]
        if cc:
            assert [a.addr_spec for a in msg["Cc"].addresses] == [addr(p) for p in cc]
        else:
            assert msg["Cc"] is None
        reply = reply_to.get(row.template)
        if reply is None:
            assert msg["Reply-To"] is None
        else:
            assert [a.addr_spec for a in msg["Reply-To"].addresses] == [addr(reply)]
        if also_to or cc:  # several recipients: nobody's unsubscribe link
            assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
        else:
            assert re.fullmatch(r"<https?://\S+/a/\S+>", str(msg["List-Unsubscribe"]))
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [intro] = [r for r in rows if r.template == "introduction"]
    got = catcher.by_message_id(intro.message_id)
    assert got.rcpt_tos == [addr(asker), addr(expert), addr(connector)]
    assert [a.addr_spec for a in got.message["To"].addresses] == [addr(asker), addr(expert)]


async def test_a_server_that_is_down_leaves_the_row_pending_for_a_later_try(
    world: World, mailroom: Mailroom, clock: FakeClock, smtp_port: int
) -> None:
    party = await world.party()
    await mailroom.run()

    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.available_at > clock.now()
    assert row.last_error and "SMTP" in row.last_error
    assert row.sent_at is None and row.locked_until is None

    with smtp_server(smtp_port, SmtpCatcher()) as catcher:
        await mailroom.run()
        assert catcher.attempts == 0, "not before its time"
        clock.current = row.available_at
        await mailroom.run()

    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "sent" and row.attempts == 2
    assert catcher.by_message_id(row.message_id).message["Message-ID"] == row.message_id


async def test_a_5xx_reply_fails_the_row_and_it_is_never_retried(
    world: World, mailroom: Mailroom, clock: FakeClock, catcher: SmtpCatcher
) -> None:
    catcher.reply = "550 5.1.1 Mailbox unavailable"
    party = await world.party()
    await mailroom.run()

    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "failed"
    assert row.attempts == 1
    assert row.last_error and "550" in row.last_error
    assert catcher.attempts == 2  # the connector's email and the asker's

    catcher.reply = "250 2.0.0 Ok: queued"
    clock.advance(timedelta(days=1))
    await mailroom.run()
    assert catcher.attempts == 2
    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "failed"


async def test_a_4xx_reply_is_retried_later(
    world: World, mailroom: Mailroom, clock: FakeClock, catcher: SmtpCatcher
) -> None:
    catcher.reply = "451 4.3.0 Try again later"
    party = await world.party()
    await mailroom.run()

    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "pending" and row.attempts == 1
    assert row.available_at > clock.now()
    assert row.last_error and "451" in row.last_error

    catcher.reply = "250 2.0.0 Ok: queued"
    clock.current = row.available_at
    await mailroom.run()
    [row] = await mailroom.rows(party.request, "connector_ask")
    assert row.status == "sent"
    assert catcher.by_message_id(row.message_id)


async def test_a_line_break_in_a_name_neither_injects_headers_nor_stalls_the_batch(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher
) -> None:
    asker = await world.pid("Ada Asker")
    refused = await world.api.post(
        "/v1/people", json={"email": "carl@example.com", "name": "Carl\nBcc: x@example.com"}
    )
    assert refused.status_code == 422, "the API refuses a name that spans lines"
    # A name stored before that check (or by hand) must still not break anything.
    odd = await world.person("Carl")
    async with mailroom.container.engine.begin() as conn:
        await conn.execute(
            people.update()
            .where(people.c.id == uuid.UUID(odd["id"]))
            .values(name="Carl\nBcc: intruder@example.com")
        )
    plain = await world.person("Dana Connector")
    odd_request = (await world.ask(asker, odd["id"]))["id"]
    plain_request = (await world.ask(asker, plain["id"]))["id"]

    await mailroom.container.worker.run_once()  # a bad row must not break the pass

    [plain_row] = await mailroom.rows(plain_request, "connector_ask")
    assert plain_row.status == "sent", "the rest of the batch still goes out"
    [odd_row] = await mailroom.rows(odd_request, "connector_ask")
    assert odd_row.status != "sending", "settled, not left to the lease"
    if odd_row.status == "sent":
        got = catcher.by_message_id(odd_row.message_id)
        assert got.rcpt_tos == [odd["email"]]
        assert got.message["Bcc"] is None
    else:
        assert odd_row.last_error
    assert all("intruder@example.com" not in r.rcpt_tos for r in catcher.received)
