"""The transports behind the Mailer port: console (with the dev mailbox), SMTP, SendGrid."""

from __future__ import annotations

import asyncio
import logging
import urllib.error
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Cc,
    Content,
    CustomArg,
    From,
    Header,
    Mail,
    MimeType,
    ReplyTo,
    To,
)

from warmintro.domain.errors import SendFailed
from warmintro.domain.ports import Address, OutgoingEmail

log = logging.getLogger("warmintro.email")

PERMANENT_HTTP = {400, 401, 403, 404, 413}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fmt(address: Address) -> str:
    return formataddr((_one_line(address.name), address.email))


def to_mime(email: OutgoingEmail) -> EmailMessage:
    """The message as RFC 5322 MIME: plain text first, HTML as the alternative."""
    msg = EmailMessage()
    msg["Message-ID"] = email.message_id
    msg["From"] = _fmt(email.sender)
    msg["To"] = ", ".join(_fmt(a) for a in (email.to, *email.also_to))
    if email.cc:
        msg["Cc"] = ", ".join(_fmt(a) for a in email.cc)
    if email.reply_to:
        msg["Reply-To"] = _fmt(email.reply_to)
    msg["Subject"] = _one_line(email.subject)
    for name, value in email.headers:
        msg[name] = value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


@dataclass(frozen=True, slots=True)
class MailboxEntry:
    received_at: datetime
    email: OutgoingEmail


class DevMailbox:
    """The last emails the console transport 'sent', for /dev/mailbox."""

    def __init__(self, size: int = 500) -> None:
        self._entries: deque[MailboxEntry] = deque(maxlen=size)

    def add(self, email: OutgoingEmail) -> None:
        self._entries.appendleft(MailboxEntry(datetime.now(UTC), email))

    def entries(self) -> list[MailboxEntry]:
        return list(self._entries)


class ConsoleMailer:
    """Development default: logs each email and keeps it in the dev mailbox. Bodies
    carry action links, which are credentials: only development logs them."""

    def __init__(self, mailbox: DevMailbox, *, log_bodies: bool = True) -> None:
        self.mailbox = mailbox
        self._log_bodies = log_bodies

    async def send(self, email: OutgoingEmail) -> str | None:
        if self._log_bodies:
            log.info("email to %s: %s\n%s", _fmt(email.to), email.subject, email.text)
        else:
            log.info("email to %s: %s", _fmt(email.to), email.subject)
        self.mailbox.add(email)
        return None


class SmtpMailer:
    def __init__(self, host: str, port: int, timeout: float = 15.0) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            await aiosmtplib.send(
                to_mime(email), hostname=self._host, port=self._port, timeout=self._timeout
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            # Codes only: the refusal text repeats the address, which must not be stored.
            raise SendFailed(
                f"recipients refused: {codes}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP unavailable: {exc}", permanent=False) from exc
        return None


class SendGridMailer:
    """The official SDK, run off the event loop with a timeout. `host` points it at
    a stub in tests (SENDGRID_API_HOST)."""

    def __init__(self, api_key: str, host: str = "", timeout: float = 15.0) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host or "https://api.sendgrid.com")
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> str | None:
        return await asyncio.to_thread(self._send, self.build(email))

    @staticmethod
    def build(email: OutgoingEmail) -> Mail:
        mail = Mail(
            from_email=From(email.sender.email, email.sender.name or None),
            to_emails=To(email.to.email, email.to.name or None),
            subject=email.subject,
        )
        mail.add_content(Content(MimeType.text, email.text))
        mail.add_content(Content(MimeType.html, email.html))
        for to in email.also_to:
            mail.add_to(To(to.email, to.name or None))
        for cc in email.cc:
            mail.add_cc(Cc(cc.email, cc.name or None))
        if email.reply_to:
            mail.reply_to = ReplyTo(email.reply_to.email, email.reply_to.name or None)
        mail.add_header(Header("Message-ID", email.message_id))
        for name, value in email.headers:
            mail.add_header(Header(name, value))
        for key, value in email.tags:
            mail.add_custom_arg(CustomArg(key, value))
        return mail

    def _send(self, mail: Mail) -> str | None:
        try:
            response = self._client.client.mail.send.post(
                request_body=mail.get(), timeout=self._timeout
            )
        except HTTPError as exc:
            status = int(exc.status_code)
            retry = exc.headers.get("Retry-After") if exc.headers else None
            raise SendFailed(
                f"SendGrid {status}: {exc.body!r:.300}",
                permanent=status in PERMANENT_HTTP,
                retry_after=float(retry) if retry and retry.isdigit() else None,
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendFailed(f"SendGrid unreachable: {exc}", permanent=False) from None
        headers = response.headers
        return headers.get("X-Message-Id") if headers else None
