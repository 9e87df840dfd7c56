"""The transports behind the Mailer port: console (with the dev mailbox), SMTP, SendGrid.

What goes on the wire is built from `email.headerregistry.Address` objects (a
display name with commas, quotes or accents stays one name), and the SMTP
envelope names exactly the To and Cc addresses, each checked again as one plain
address: nothing in a name or an address can add a recipient.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import re
import urllib.error
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import headerregistry
from email.message import EmailMessage
from email.utils import format_datetime

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

TRANSIENT_HTTP = {408, 429}
"""Client errors that mean "later": a timeout, too many requests."""

# RFC 5322 allows lines of 998 characters; folding at 78 would make Python
# RFC 2047-encode a long List-Unsubscribe URL, which mail clients cannot use.
WIRE = email.policy.SMTP.clone(max_line_length=998, cte_type="7bit")
_PLAIN_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


class BadAddress(ValueError):
    """An address that is not one plain mailbox reached the transport."""


def _system_now() -> datetime:
    return datetime.now(UTC)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _addr(address: Address) -> headerregistry.Address:
    if not _PLAIN_ADDRESS.fullmatch(address.email):
        raise BadAddress("an address is not one plain mailbox")
    return headerregistry.Address(display_name=_one_line(address.name), addr_spec=address.email)


def envelope_recipients(email: OutgoingEmail) -> list[str]:
    """Everyone in To and Cc, once each, and no one else."""
    seen: dict[str, str] = {}
    for a in (email.to, *email.also_to, *email.cc):
        seen.setdefault(_addr(a).addr_spec.casefold(), a.email)
    return list(seen.values())


def to_mime(email: OutgoingEmail, sent_at: datetime | None = None) -> EmailMessage:
    """The message as RFC 5322 MIME: plain text first, HTML as the alternative.
    Raises BadAddress if an address is not one plain mailbox."""
    msg = EmailMessage(policy=WIRE)
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime((sent_at or _system_now()).astimezone(UTC))
    msg["From"] = _addr(email.sender)
    msg["To"] = [_addr(a) for a in (email.to, *email.also_to)]
    if email.cc:
        msg["Cc"] = [_addr(a) for a in email.cc]
    if email.reply_to:
        msg["Reply-To"] = _addr(email.reply_to)
    msg["Subject"] = _one_line(email.subject)
    for name, value in email.headers:
        msg[name] = _one_line(value)
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


def wire_bytes(email: OutgoingEmail, sent_at: datetime) -> bytes:
    """The message exactly as it goes on the wire (aiosmtplib would flatten it again
    under a 78-column policy)."""
    return to_mime(email, sent_at).as_bytes(policy=WIRE)


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
    """Development default: keeps each email whole in the dev mailbox (/dev/mailbox)
    and logs only that it was sent: the recipient's domain, the subject, the outbox
    row. Bodies and headers carry link tokens, which are credentials: no log gets
    them, in development either."""

    def __init__(self, mailbox: DevMailbox) -> None:
        self.mailbox = mailbox

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            to_mime(email)  # refused as SMTP would refuse it, not kept to break the mailbox
        except ValueError as exc:
            raise SendFailed(f"not sent: {exc}", permanent=True) from None
        domain = email.to.email.rpartition("@")[2]
        outbox_id = dict(email.tags).get("outbox_id", "-")
        log.info("email to someone at %s: %s (outbox %s)", domain, email.subject, outbox_id)
        self.mailbox.add(email)
        return None


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        timeout: float = 15.0,
        now: Callable[[], datetime] = _system_now,
    ) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout
        self._now = now

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            message = wire_bytes(email, self._now())
            recipients = envelope_recipients(email)
        except ValueError as exc:  # a BadAddress, or a header the email library refuses
            raise SendFailed(f"not sent: {exc}", permanent=True) from None
        try:
            refused, _ = await aiosmtplib.send(
                message,
                sender=_addr(email.sender).addr_spec,
                recipients=recipients,
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
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
        if refused:
            # The others have it; one refused recipient must not resend it to them all.
            log.warning(
                "email %s not accepted for %d of %d recipients (codes %s)",
                email.message_id,
                len(refused),
                len(recipients),
                sorted(r.code for r in refused.values()),
            )
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
            to_emails=[To(a.email, a.name or None) for a in (email.to, *email.also_to)],
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
                # 429 and 5xx are "later"; any other 4xx is a refusal of this email.
                permanent=400 <= status < 500 and status not in TRANSIENT_HTTP,
                retry_after=float(retry) if retry and retry.isdigit() else None,
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendFailed(f"SendGrid unreachable: {exc}", permanent=False) from None
        headers = response.headers
        return headers.get("X-Message-Id") if headers else None
