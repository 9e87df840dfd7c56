"""The composition root: builds every adapter once and binds the use cases to them."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.api.metrics import Metrics
from warmintro.domain.access import Authenticator
from warmintro.domain.commands import FireDueTimers, PurgeExpired
from warmintro.domain.handlers.env import Env
from warmintro.domain.ports import Clock, Mailer
from warmintro.domain.use_cases import UseCases
from warmintro.infra.action_links import LinkIssuer
from warmintro.infra.clock import SystemClock
from warmintro.infra.database import make_engine
from warmintro.infra.email.addresses import ValidatedEmailAddresses
from warmintro.infra.email.compose import Composer
from warmintro.infra.email.senders import ConsoleMailer, DevMailbox, SendGridMailer, SmtpMailer
from warmintro.infra.idempotency import IdempotencyStore
from warmintro.infra.migrate import schema_unready
from warmintro.infra.outbox_relay import OutboxRelay
from warmintro.infra.rate_limits import RateLimits, rate_limits_from
from warmintro.infra.repositories.outbox import outbox_health
from warmintro.infra.repositories.timers import seconds_to_next_timer, timers_due
from warmintro.infra.retention import RetentionSweep
from warmintro.infra.sendgrid_events import SendGridEvents
from warmintro.infra.settings import Settings
from warmintro.infra.tokens import ActionTokens, MemberTokens
from warmintro.infra.uow import SqlUnitOfWorkFactory
from warmintro.infra.url_guard import UrlGuard
from warmintro.infra.wake_sources import wake_sources
from warmintro.infra.webhook_relay import WebhookRelay
from warmintro.infra.worker import Worker


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    use_cases: UseCases
    auth: Authenticator
    idempotency: IdempotencyStore
    metrics: Metrics
    links: LinkIssuer
    mailbox: DevMailbox
    mailer: Mailer
    worker: Worker
    sendgrid_events: SendGridEvents
    rate_limits: RateLimits

    async def unready_because(self) -> str | None:
        """Why this process cannot serve yet (the database, its schema), or None."""
        return await schema_unready(self.engine)

    async def close(self) -> None:
        await self.worker.close()
        await self.engine.dispose()
        self.rate_limits.close()


def make_mailer(settings: Settings, mailbox: DevMailbox, clock: Clock) -> Mailer:
    if settings.email_backend == "smtp":
        return SmtpMailer(
            settings.smtp_host, settings.smtp_port, settings.send_timeout_seconds, clock.now
        )
    if settings.email_backend == "sendgrid":
        return SendGridMailer(
            settings.sendgrid_api_key, settings.sendgrid_api_host, settings.send_timeout_seconds
        )
    return ConsoleMailer(mailbox)


YOUNGEST_GENERATION_THRESHOLD = 20_000
"""Objects the young generation takes in before the collector walks it (CPython's
default is 700)."""


def tune_garbage_collector() -> None:
    """Once start-up is done, in a process that serves or works.

    Take what start-up built (modules, the app, the container: some 160,000
    objects) out of the collector's sight: each full collection walked them all,
    about 60 ms, in an idle process too, and none of them will ever be garbage.

    And let the young generation grow to `YOUNGEST_GENERATION_THRESHOLD` objects
    before it is walked. At CPython's 700, the rows and objects of requests in
    flight passed that again and again: serving lists of 50, the collector ran
    some 450 times a second, each run walking the objects of the requests still in
    flight; and those that outlived two runs were walked again by the full
    collections that followed (a warm path holds some 100,000). Requests free
    what they make by reference counting, so the collector has only cycles to
    find, and finds them as surely at the higher mark.
    """
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, middle, oldest)


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    *,
    worker_alone: bool = False,
) -> Container:
    """`worker_alone`: this process runs the worker and nothing that writes (the
    `worker` command), so on SQLite it watches the file for other processes' commits."""
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWorkFactory(engine)
    secrets = (settings.secret_key, settings.previous_secret_keys)
    member_tokens = MemberTokens(*secrets, clock)
    link_tokens = ActionTokens(*secrets, clock)
    url_guard = UrlGuard(allow_private=settings.allow_private_webhooks)
    use_cases = UseCases(
        Env(uow, clock, member_tokens, link_tokens, url_guard, ValidatedEmailAddresses())
    )
    links = LinkIssuer(link_tokens, clock, settings.public_base_url)
    mailbox = DevMailbox()
    mailer = mailer or make_mailer(settings, mailbox, clock)
    metrics = Metrics(
        outbox=lambda: outbox_health(engine, clock.now()),
        timers_due=lambda: timers_due(engine, clock.now()),
    )

    async def fire_timers() -> int:
        fired = await use_cases(FireDueTimers())
        metrics.timers_fired.inc(fired)
        return fired

    worker = Worker(
        OutboxRelay(
            engine,
            Composer(links, clock, settings.email_from),
            mailer,
            clock,
            on_outcome=metrics.email_outcome,
            backend=settings.email_backend,
        ),
        WebhookRelay(engine, clock, url_guard, on_outcome=metrics.webhook_outcome),
        fire_timers,
        next_timer=lambda: seconds_to_next_timer(engine, clock),
        retention=RetentionSweep(lambda batch: use_cases(PurgeExpired(batch)), clock).run_once,
        poll_seconds=settings.worker_poll_seconds,
        max_poll_seconds=settings.worker_max_poll_seconds,
        wake_sources=wake_sources(engine, watch_sqlite=worker_alone),
        on_success=lambda stage: metrics.stage_succeeded(stage, clock.now()),
    )
    uow.on_mail_queued = worker.wake
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        uow=uow,
        use_cases=use_cases,
        auth=Authenticator(uow, member_tokens, ttl_seconds=settings.api_key_cache_seconds),
        idempotency=IdempotencyStore(engine, clock),
        metrics=metrics,
        links=links,
        mailbox=mailbox,
        mailer=mailer,
        worker=worker,
        sendgrid_events=SendGridEvents(settings.sendgrid_webhook_public_key, clock),
        rate_limits=rate_limits_from(settings),
    )
