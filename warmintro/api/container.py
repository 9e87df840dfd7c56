"""The composition root: builds every adapter once and hands them to the app."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.api.metrics import Metrics
from warmintro.domain.access import Authenticator
from warmintro.domain.handlers.timers import fire_due_timers
from warmintro.domain.ports import Clock, Mailer
from warmintro.infra.action_links import ActionLinks, Purpose
from warmintro.infra.clock import SystemClock
from warmintro.infra.database import make_engine
from warmintro.infra.email.compose import Composer
from warmintro.infra.email.senders import ConsoleMailer, DevMailbox, SendGridMailer, SmtpMailer
from warmintro.infra.idempotency import IdempotencyStore
from warmintro.infra.outbox_relay import OutboxRelay
from warmintro.infra.sendgrid_events import SendGridEvents
from warmintro.infra.settings import Settings
from warmintro.infra.tokens import ActionTokens, MemberTokens
from warmintro.infra.uow import SqlUnitOfWorkFactory
from warmintro.infra.url_guard import UrlGuard
from warmintro.infra.webhook_relay import WebhookRelay
from warmintro.infra.worker import Worker


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    tokens: MemberTokens
    auth: Authenticator
    idempotency: IdempotencyStore
    metrics: Metrics
    links: ActionLinks
    mailbox: DevMailbox
    mailer: Mailer
    worker: Worker
    url_guard: UrlGuard
    sendgrid_events: SendGridEvents

    async def close(self) -> None:
        await self.worker.close()
        await self.engine.dispose()


def make_mailer(settings: Settings, mailbox: DevMailbox) -> Mailer:
    if settings.email_backend == "smtp":
        return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.send_timeout_seconds)
    if settings.email_backend == "sendgrid":
        return SendGridMailer(
            settings.sendgrid_api_key, settings.sendgrid_api_host, settings.send_timeout_seconds
        )
    return ConsoleMailer(mailbox, log_bodies=settings.is_development)


def bootstrap(
    settings: Settings, clock: Clock | None = None, mailer: Mailer | None = None
) -> Container:
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWorkFactory(engine)
    tokens = MemberTokens(settings.secret_key, settings.previous_secret_keys, clock)
    links = ActionLinks(
        ActionTokens(
            settings.secret_key, settings.previous_secret_keys, clock, [p.value for p in Purpose]
        ),
        clock,
        settings.public_base_url,
    )
    mailbox = DevMailbox()
    mailer = mailer or make_mailer(settings, mailbox)
    composer = Composer(links, clock, settings.email_from)
    url_guard = UrlGuard(allow_private=settings.is_development)
    worker = Worker(
        OutboxRelay(engine, composer, mailer, clock),
        WebhookRelay(engine, clock, url_guard),
        lambda: fire_due_timers(uow, clock),
        poll_seconds=settings.worker_poll_seconds,
    )
    uow.on_mail_queued = worker.wake
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        uow=uow,
        tokens=tokens,
        auth=Authenticator(uow, tokens, ttl_seconds=settings.api_key_cache_seconds),
        idempotency=IdempotencyStore(engine, clock),
        metrics=Metrics(),
        links=links,
        mailbox=mailbox,
        mailer=mailer,
        worker=worker,
        url_guard=url_guard,
        sendgrid_events=SendGridEvents(settings.sendgrid_webhook_public_key, clock),
    )
