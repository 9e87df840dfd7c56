"""Webhook endpoints and their deliveries (held while an endpoint is disabled), and
the provider's events, each recorded once."""

from __future__ import annotations

import dataclasses
import uuid

from tests.integration.builder import NOW, Builder, later
from tests.paging import next_id
from warmintro.domain.events import EventType
from warmintro.domain.ids import new_id
from warmintro.domain.ports import WebhookMessage
from warmintro.domain.webhooks import WebhookEndpoint

CREATED = "intro_request.created"
FORWARDED = "intro_request.forwarded"


def endpoint(build: Builder, *event_types: str, enabled: bool = True) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=new_id(),
        workspace_id=build.workspace_id,
        url="https://hooks.example.com/warmintro",
        secret="whsec_" + "a" * 32,
        created_at=NOW,
        updated_at=NOW,
        event_types=event_types,
        enabled=enabled,
    )


def message(event_type: str) -> WebhookMessage:
    return WebhookMessage(new_id(), EventType(event_type), {"type": event_type, "data": {"n": 1}})


async def deliveries(build: Builder, endpoint_id: uuid.UUID) -> list[tuple[str, str]]:
    async with build.uow(write=False) as uow:
        page = await uow.webhooks.deliveries(build.workspace_id, endpoint_id, after=None, limit=100)
    return [(d.event_type, d.status) for d in page.items]


async def test_endpoints_round_trip_page_in_id_order_and_vanish_when_deleted(
    build: Builder,
) -> None:
    first, second, third = (endpoint(build, CREATED) for _ in range(3))
    async with build.uow() as uow:
        for e in (first, second, third):
            await uow.webhooks.add(e)
        await uow.commit()
    renamed = dataclasses.replace(second, description="the CRM", updated_at=later(1))
    async with build.uow() as uow:
        await uow.webhooks.update(renamed)
        await uow.webhooks.delete(build.workspace_id, third.id, later(2))
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.webhooks.get(build.workspace_id, second.id) == renamed
        assert await uow.webhooks.get(build.workspace_id, third.id) is None
        assert await uow.webhooks.get(new_id(), first.id) is None
        page = await uow.webhooks.page(build.workspace_id, after=None, limit=1)
        rest = await uow.webhooks.page(build.workspace_id, after=next_id(page), limit=5)
    live = sorted([first.id, second.id])
    assert [e.id for e in page.items + rest.items] == live
    assert page.next_after == live[0]
    assert rest.next_after is None


async def test_enqueue_delivers_what_each_endpoint_wants_and_holds_it_while_disabled(
    build: Builder,
) -> None:
    everything = endpoint(build)
    only_created = endpoint(build, CREATED)
    disabled = endpoint(build, enabled=False)
    deleted = endpoint(build)
    async with build.uow() as uow:
        for e in (everything, only_created, disabled, deleted):
            await uow.webhooks.add(e)
        await uow.webhooks.delete(build.workspace_id, deleted.id, NOW)
        await uow.webhooks.enqueue(build.workspace_id, [message(CREATED), message(FORWARDED)], NOW)
        await uow.commit()

    assert sorted(await deliveries(build, everything.id)) == [
        (CREATED, "pending"),
        (FORWARDED, "pending"),
    ]
    assert await deliveries(build, only_created.id) == [(CREATED, "pending")]
    assert sorted(await deliveries(build, disabled.id)) == [(CREATED, "held"), (FORWARDED, "held")]
    assert await deliveries(build, deleted.id) == []

    async with build.uow() as uow:
        released = await uow.webhooks.release_held(build.workspace_id, disabled.id, later(5))
        again = await uow.webhooks.release_held(build.workspace_id, disabled.id, later(6))
        await uow.commit()
    assert (released, again) == (2, 0)
    assert sorted(await deliveries(build, disabled.id)) == [
        (CREATED, "pending"),
        (FORWARDED, "pending"),
    ]


async def test_deliveries_page_newest_first_and_a_retry_queues_one_again(build: Builder) -> None:
    hook = endpoint(build)
    async with build.uow() as uow:
        await uow.webhooks.add(hook)
        for _ in range(3):
            await uow.webhooks.enqueue(build.workspace_id, [message(CREATED)], NOW)
        await uow.commit()

    async with build.uow(write=False) as uow:
        first = await uow.webhooks.deliveries(build.workspace_id, hook.id, after=None, limit=2)
        rest = await uow.webhooks.deliveries(
            build.workspace_id, hook.id, after=next_id(first), limit=2
        )
    ids = [d.id for d in first.items + rest.items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert first.next_after == first.items[-1].id and rest.next_after is None

    async with build.uow() as uow:
        retried = await uow.webhooks.retry(build.workspace_id, hook.id, ids[1], later(30))
        unknown = await uow.webhooks.retry(build.workspace_id, hook.id, new_id(), later(30))
        foreign = await uow.webhooks.retry(new_id(), hook.id, ids[1], later(30))
        await uow.commit()
    assert retried is not None
    assert (retried.id, retried.status, retried.next_attempt_at) == (ids[1], "pending", later(30))
    assert unknown is None and foreign is None


async def test_a_provider_event_is_new_only_the_first_time_in_its_workspace(
    build: Builder,
) -> None:
    outbox_id = new_id()
    async with build.uow() as uow:
        first = await uow.provider_events.first_time(
            build.workspace_id, "sg-event-1", "bounce", outbox_id, NOW
        )
        again = await uow.provider_events.first_time(
            build.workspace_id, "sg-event-1", "bounce", outbox_id, later(1)
        )
        other = await uow.provider_events.first_time(
            build.workspace_id, "sg-event-2", "open", None, later(1)
        )
        elsewhere = await uow.provider_events.first_time(
            new_id(), "sg-event-1", "bounce", None, later(1)
        )
        await uow.commit()
    assert (first, again, other, elsewhere) == (True, False, True, True)

    async with build.uow() as uow:
        assert not await uow.provider_events.first_time(
            build.workspace_id, "sg-event-2", "open", None, later(2)
        )
