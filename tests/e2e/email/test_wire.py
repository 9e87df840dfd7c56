"""What reaches a real SMTP server, read from the raw bytes it received: RFC 8058
headers unencoded, a Date and a Message-ID on every message, envelope recipients
exactly the people in To and Cc, and no way to smuggle in another recipient."""

from __future__ import annotations

import re
import uuid
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from tests.clock import FakeClock
from tests.e2e.mail import ACTION_PATH, Mailroom
from tests.e2e.world import World, as_, assert_problem
from tests.smtp import Received, SmtpCatcher, smtp_transport
from warmintro.domain.ports import Address, OutgoingEmail
from warmintro.infra.email.senders import SendGridMailer, SmtpMailer
from warmintro.infra.tables import people

smtp_port, settings, catcher = smtp_transport()

INJECTIONS = [
    "x@example.com>,<root",
    '"a"@example.com, root@example.com',
    "eve@example.com, root@example.com",
    "eve@example.com;root@example.com",
    "Eve <root@example.com>",
    "eve@example.com\r\nBcc: root@example.com",
    "eve@example.com (root@example.com)",
    "eve @example.com",
]
INJECTED = ("root", "root@example.com", "c@d.com")


def addresses(received: Received, header: str) -> list[str]:
    value = received.message[header]
    return [a.addr_spec for a in value.addresses] if value is not None else []


def assert_envelope_is_to_and_cc(received: Received) -> None:
    assert received.rcpt_tos == addresses(received, "To") + addresses(received, "Cc")
    assert len(set(received.rcpt_tos)) == len(received.rcpt_tos)


def assert_wire_is_sound(received: Received, clock: FakeClock) -> None:
    """Date and Message-ID once each; no line a relay would refuse."""
    raw = received.raw_headers()
    [date] = raw["date"]
    assert parsedate_to_datetime(date) == clock.now().replace(microsecond=0)
    [message_id] = raw["message-id"]
    assert re.fullmatch(r"<[0-9a-f-]{36}@[^>\s]+>", message_id), message_id
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998


async def test_single_recipient_mail_carries_unencoded_rfc_8058_headers_a_date_and_an_id(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher, clock: FakeClock
) -> None:
    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    await mailroom.run()

    rows = {r.template: r for r in await mailroom.rows(party.request)}
    assert rows.keys() == {"asker_ask_sent", "connector_ask", "expert_consent"}
    for row in rows.values():
        got = catcher.by_message_id(row.message_id)
        raw = got.raw_headers()
        [unsubscribe] = raw["list-unsubscribe"]
        assert re.fullmatch(r"<https?://[^\s<>]+/a/[A-Za-z0-9._~-]+>", unsubscribe), unsubscribe
        assert "=?" not in unsubscribe
        assert raw["list-unsubscribe-post"] == ["List-Unsubscribe=One-Click"]
        assert_wire_is_sound(got, clock)
        [recipient] = got.rcpt_tos
        assert recipient == (await world.api.get(f"/v1/people/{row.recipient_id}")).json()["email"]
        assert_envelope_is_to_and_cc(got)


@pytest.mark.parametrize(
    "name", ['Doe, "Jane" O\'Brien', "Zoë Ünïcode, PhD", "a@b.com, root@example.com <x>"]
)
async def test_a_display_name_with_commas_quotes_or_accents_is_one_recipient(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher, clock: FakeClock, name: str
) -> None:
    asker = await world.pid("Ada Asker")
    connector = await world.person(name)
    await world.ask(asker, connector["id"])
    await mailroom.run()

    ada = (await world.api.get(f"/v1/people/{asker}")).json()["email"]
    everyone = sorted(rcpt for r in catcher.received for rcpt in r.rcpt_tos)
    assert everyone == sorted([ada, connector["email"]]), "the asker's news and the ask, no more"
    [got] = [r for r in catcher.received if connector["email"] in r.rcpt_tos]
    assert got.rcpt_tos == [connector["email"]]
    [to] = got.message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, connector["email"])
    assert_envelope_is_to_and_cc(got)
    assert_wire_is_sound(got, clock)


async def test_an_introduction_goes_to_exactly_the_people_in_its_headers(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher, clock: FakeClock
) -> None:
    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    await world.do(party.request, "accept", party.expert)
    await mailroom.run()

    introductions = await mailroom.rows(party.request, "introduction")
    assert introductions
    parties = {
        (await world.api.get(f"/v1/people/{p}")).json()["email"]
        for p in (party.asker, party.connector, party.expert)
    }
    for row in introductions:
        got = catcher.by_message_id(row.message_id)
        assert_envelope_is_to_and_cc(got)
        assert set(got.rcpt_tos) <= parties
        assert_wire_is_sound(got, clock)


async def propose_page(world: World, catcher: SmtpCatcher) -> tuple[str, str]:
    """An ask to a connector, and the path of the link in the email they received."""
    party = await world.party()
    await world.mail.run()
    connector = (await world.api.get(f"/v1/people/{party.connector}")).json()["email"]
    [ask] = [r for r in catcher.received if r.rcpt_tos == [connector]]
    text = ask.message.get_body(("plain",))
    assert text is not None
    [path] = ACTION_PATH.findall(text.get_content())
    return party.request, path


async def test_an_injection_attempt_is_refused_everywhere_and_nothing_reaches_the_address(
    world: World,
    mailroom: Mailroom,
    catcher: SmtpCatcher,
    visitor: httpx.AsyncClient,
) -> None:
    request, path = await propose_page(world, catcher)
    view = await world.view(request)
    someone = await world.pid("Someone")
    for bad in INJECTIONS:
        r = await world.api.post("/v1/people", json={"email": bad, "name": "Eve"})
        assert r.status_code == 422, (bad, r.text)
        assert_problem(r, 422)
        r = await world.api.patch(f"/v1/people/{someone}", json={"email": bad})
        assert_problem(r, 422)
        r = await world.api.post(
            f"/v1/intro-requests/{request}/propose",
            json={"expert": {"email": bad, "name": "Eve"}},
            headers=as_(view["connector_id"]),
        )
        assert_problem(r, 422)
        page = await visitor.post(
            path, data={"action": "propose", "expert_name": "Eve", "expert_email": bad}
        )
        assert page.status_code == 422, (bad, page.status_code)
        assert page.headers["content-type"].startswith("text/html")
        assert "not a valid email address" in page.text

    assert (await world.view(request))["state"] == "awaiting_connector"
    # The link still works for a real address, and only that person is written to.
    page = await visitor.post(
        path,
        data={"action": "propose", "expert_name": "Nina", "expert_email": "Nina@Example.ORG"},
    )
    assert page.status_code == 200, page.text
    await mailroom.run()
    everyone: list[Any] = [rcpt for r in catcher.received for rcpt in r.rcpt_tos]
    assert "Nina@example.org" in everyone
    assert not any(rcpt.lower().startswith(INJECTED) for rcpt in everyone), everyone
    for got in catcher.received:
        assert_envelope_is_to_and_cc(got)


async def test_an_address_stored_before_validation_is_never_put_on_the_wire(
    world: World, mailroom: Mailroom, catcher: SmtpCatcher
) -> None:
    asker = await world.pid("Ada Asker")
    connector = await world.pid("Carl Connector")
    async with mailroom.container.engine.begin() as conn:
        await conn.execute(
            people.update()
            .where(people.c.id == uuid.UUID(connector))
            .values(email="carl@example.com>,<root")
        )
    request = (await world.ask(asker, connector))["id"]
    await mailroom.run()

    [row] = await mailroom.rows(request, "connector_ask")
    assert row.status == "failed", "refused for good: retrying would not change the address"
    assert row.last_error and "root" not in row.last_error
    ada = (await world.api.get(f"/v1/people/{asker}")).json()["email"]
    assert [r.rcpt_tos for r in catcher.received] == [[ada]], "only the asker's news went out"
    assert catcher.attempts == 1


async def test_everyone_in_to_and_cc_is_in_the_envelope_once_and_no_one_else(
    catcher: SmtpCatcher, smtp_port: int, clock: FakeClock
) -> None:
    email = OutgoingEmail(
        message_id=f"<{uuid.uuid4()}@example.net>",
        sender=Address("intros@example.net", "Alumni, via warmintro"),
        to=Address("ada@example.com", 'Ada "the asker" Lovelace'),
        also_to=(Address("eve@example.org", "Ève Expert"), Address("ADA@example.com", "Ada")),
        cc=(Address("carl@example.com", "Carl, Connector"),),
        subject="Ada, meet Ève",
        text="Hello\n",
        html="<p>Hello</p>\n",
    )
    await SmtpMailer("127.0.0.1", smtp_port, 5, clock.now).send(email)

    [got] = catcher.received
    assert got.mail_from == "intros@example.net"
    assert got.rcpt_tos == ["ada@example.com", "eve@example.org", "carl@example.com"]
    to = [(a.display_name, a.addr_spec) for a in got.message["To"].addresses]
    assert to == [
        ('Ada "the asker" Lovelace', "ada@example.com"),
        ("Ève Expert", "eve@example.org"),
        ("Ada", "ADA@example.com"),
    ]
    assert addresses(got, "Cc") == ["carl@example.com"]
    assert "List-Unsubscribe" not in got.message, "none given, none added"
    assert_wire_is_sound(got, clock)


def test_sendgrid_sends_one_message_to_everyone_in_to() -> None:
    email = OutgoingEmail(
        message_id="<1@example.net>",
        sender=Address("intros@example.net"),
        to=Address("ada@example.com", "Ada"),
        also_to=(Address("eve@example.org", "Eve"),),
        cc=(Address("carl@example.com", "Carl"),),
        subject="Ada, meet Eve",
        text="Hello\n",
        html="<p>Hello</p>\n",
    )
    [personalization] = SendGridMailer.build(email).get()["personalizations"]
    assert [t["email"] for t in personalization["to"]] == ["ada@example.com", "eve@example.org"]
    assert [c["email"] for c in personalization["cc"]] == ["carl@example.com"]


async def test_one_refused_recipient_leaves_the_others_their_single_copy(
    catcher: SmtpCatcher, smtp_port: int, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    catcher.refuse = {"gone@example.org"}
    email = OutgoingEmail(
        message_id=f"<{uuid.uuid4()}@example.net>",
        sender=Address("intros@example.net"),
        to=Address("ada@example.com", "Ada"),
        also_to=(Address("gone@example.org", "Gone"),),
        cc=(Address("carl@example.com", "Carl"),),
        subject="Ada, meet Gone",
        text="Hello\n",
        html="<p>Hello</p>\n",
    )
    await SmtpMailer("127.0.0.1", smtp_port, 5, clock.now).send(email)

    [got] = catcher.received
    assert got.rcpt_tos == ["ada@example.com", "carl@example.com"]
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "1 of 3 recipients" in warning and "550" in warning
    assert not re.search(r"\b(ada|gone|carl)@", warning), "no address in the log"
