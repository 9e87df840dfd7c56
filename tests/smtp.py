"""A real SMTP server (aiosmtpd) on loopback that keeps what it accepted: the
envelope, the parsed message, and the raw bytes exactly as they came off the wire.

A suite that sends by SMTP takes its fixtures in its conftest or test module:

    smtp_port, settings, catcher = smtp_transport()
"""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.servers import free_port
from warmintro.infra.settings import Settings


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    raw: bytes
    """The DATA as the server read it, before any parsing."""

    def raw_headers(self) -> dict[str, list[str]]:
        """Each header's raw values as they were on the wire (unfolded, undecoded)."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
        found: dict[str, list[str]] = {}
        for line in head.split(b"\r\n"):
            name, _, value = line.decode("ascii").partition(":")
            found.setdefault(name.lower(), []).append(value.strip())
        return found

    def readable(self) -> str:
        """What a reader sees: the headers decoded, then every text part decoded."""
        head = "\n".join(f"{k}: {v}" for k, v in self.message.items())
        parts = [
            part.get_content()
            for part in self.message.walk()
            if part.get_content_maintype() == "text"
        ]
        return "\n".join([head, *parts])


@dataclass
class SmtpCatcher:
    """Collects what it accepts; answers DATA with `reply`, and RCPT with 550 for
    the addresses in `refuse`."""

    reply: str = "250 2.0.0 Ok: queued"
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.reply.startswith("250"):
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, bytes(raw))
            )
        return self.reply

    def by_message_id(self, message_id: str) -> Received:
        found = [r for r in self.received if r.message["Message-ID"] == message_id]
        assert len(found) == 1, (message_id, len(found))
        return found[0]


@contextmanager
def smtp_server(port: int, catcher: SmtpCatcher) -> Iterator[SmtpCatcher]:
    """The server, running. Its own log (every address it is given, at INFO) is
    quieted meanwhile: it stands for the provider, and the logs a test inspects are
    the service's."""
    chatter = logging.getLogger("mail.log")
    level = chatter.level
    chatter.setLevel(logging.WARNING)
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()
        chatter.setLevel(level)


def smtp_transport() -> tuple[Any, Any, Any]:
    """Fixtures `smtp_port` (a free loopback port), `settings` (the suite's settings
    with the SMTP transport pointed at it) and `catcher` (a server on it, running for the test)."""

    @pytest.fixture(name="smtp_port")
    def port() -> int:
        return free_port()

    @pytest.fixture(name="settings")
    def smtp_settings(settings: Settings, smtp_port: int) -> Settings:
        """The suite's settings, sending by SMTP to the catcher."""
        return settings.model_copy(
            update={
                "email_backend": "smtp",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "send_timeout_seconds": 5,
            }
        )

    @pytest.fixture(name="catcher")
    def running(smtp_port: int) -> Iterator[SmtpCatcher]:
        with smtp_server(smtp_port, SmtpCatcher()) as catcher:
            yield catcher

    return port, smtp_settings, running
