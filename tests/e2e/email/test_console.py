"""The console transport (the development default): the dev mailbox keeps every
email whole, and no log line carries a body, an address or a link token."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.mail import ACTION_URL, URL, Mailroom
from tests.e2e.world import World
from warmintro.domain.errors import SendFailed
from warmintro.domain.ports import Address, OutgoingEmail
from warmintro.infra.email.senders import ConsoleMailer, DevMailbox


async def test_the_console_logs_that_mail_went_out_never_its_body_address_or_links(
    world: World, mailroom: Mailroom, caplog: pytest.LogCaptureFixture
) -> None:
    assert mailroom.container.settings.is_development
    party = await world.party()
    await world.do(party.request, "propose", party.connector, {"expert_id": party.expert})
    with caplog.at_level(logging.DEBUG):
        await mailroom.run()

    sent = await mailroom.sent()
    assert {s.template for s in sent} == {"asker_ask_sent", "connector_ask", "expert_consent"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for item in sent:
        email = item.email
        assert ACTION_URL.search(email.text), "the mailbox keeps the links"
        assert f"someone at {email.to.email.rpartition('@')[2]}: {email.subject}" in logged
        assert email.to.email not in logged
        for url in item.urls():
            assert url not in logged
        body_lines = [line for line in email.text.splitlines() if len(line) > 30]
        assert body_lines and not any(line in logged for line in body_lines)
    assert not ACTION_URL.search(logged) and "/a/" not in logged
    assert not URL.search(logged)


async def test_an_address_that_is_not_one_mailbox_is_refused_not_kept_for_the_mailbox() -> None:
    """An address stored before addresses were validated fails for good, as SMTP
    would refuse it, instead of waiting in /dev/mailbox to break the page."""
    mailbox = DevMailbox()
    email = OutgoingEmail(
        message_id="<1@localhost>",
        sender=Address("intros@localhost", "warmintro"),
        to=Address("x@example.com>,<root", "Old Row"),
        subject="Hello",
        text="hi",
        html="<p>hi</p>",
    )
    with pytest.raises(SendFailed) as refused:
        await ConsoleMailer(mailbox).send(email)
    assert refused.value.permanent
    assert mailbox.entries() == []
