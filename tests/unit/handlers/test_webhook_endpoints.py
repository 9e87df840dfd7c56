"""Webhook endpoints on fakes: only the workspace's API key manages them; a URL must be
https (or http to loopback where allowed) and pass the address check; the secret is
shown on creation and rotation, the old one kept a day; a deleted endpoint gets
nothing, a re-enabled one gets what was held; deliveries can be listed and retried."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    Command,
    CreateEndpoint,
    DeleteEndpoint,
    EnableEndpoint,
    GetEndpoint,
    ListDeliveries,
    ListEndpoints,
    RetryDelivery,
    RotateSecret,
)
from warmintro.domain.errors import InvalidInput, NotFound, NotPermitted
from warmintro.domain.events import EventType
from warmintro.domain.ids import new_id
from warmintro.domain.ports import WebhookDelivery
from warmintro.domain.webhooks import WebhookEndpoint

URL = "https://hooks.example.com/warmintro"


async def register(w: World, url: str = URL, *types: str) -> WebhookEndpoint:
    return await w.run(CreateEndpoint(url, types), w.operator())


def deliveries(w: World, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return [d for d in w.store.data.webhook_deliveries.values() if d.endpoint_id == endpoint.id]


def every_command(endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> list[Command[Any]]:
    return [
        GetEndpoint(endpoint_id),
        DeleteEndpoint(endpoint_id),
        RotateSecret(endpoint_id),
        EnableEndpoint(endpoint_id),
        ListDeliveries(endpoint_id),
        RetryDelivery(endpoint_id, delivery_id),
    ]


# ---- create -------------------------------------------------------------------


async def test_an_operator_registers_an_endpoint_and_gets_its_secret(w: World) -> None:
    commits = w.commits
    types = (EventType.CREATED, EventType.INTRODUCED, EventType.CREATED)

    made = await w.run(CreateEndpoint(f"  {URL} ", types, " CRM sync "), w.operator())

    assert (made.url, made.description) == (URL, "CRM sync")
    assert made.event_types == (EventType.CREATED, EventType.INTRODUCED)
    assert made.secret.startswith("whsec_") and len(made.secret) > len("whsec_") + 30
    assert w.store.data.webhook_endpoints == {(w.workspace.id, made.id): made}
    assert w.addresses.checked == [URL]
    assert w.commits == commits + 1
    assert (await register(w)).secret != made.secret


async def test_a_member_may_not_register_an_endpoint(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(CreateEndpoint(URL), w.member(cast.asker))
    assert w.store.contents() == before
    assert w.addresses.checked == []


@pytest.mark.parametrize("allowed", [True, False])
async def test_plain_http_only_to_loopback_and_only_where_allowed(w: World, allowed: bool) -> None:
    w.addresses.allow_http_loopback = allowed
    with pytest.raises(InvalidInput):
        await register(w, "http://hooks.example.com/in")
    if allowed:
        made = await register(w, "http://127.0.0.1:8080/in")
        assert w.store.data.webhook_endpoints[(w.workspace.id, made.id)].url == made.url
    else:
        with pytest.raises(InvalidInput):
            await register(w, "http://127.0.0.1:8080/in")
        assert w.store.data.webhook_endpoints == {}


async def test_an_address_the_check_refuses_stores_nothing(w: World) -> None:
    w.addresses.refused_hosts.add("internal.example.com")
    before = unchanged(w)

    with pytest.raises(InvalidInput) as info:
        await register(w, "https://internal.example.com/hook")

    assert info.value.facts["field"] == "url"
    assert w.addresses.checked == ["https://internal.example.com/hook"]
    assert w.store.contents() == before


async def test_unknown_event_types_are_refused(w: World) -> None:
    before = unchanged(w)
    with pytest.raises(InvalidInput) as info:
        await register(w, URL, EventType.CREATED, "intro_request.gossip")
    assert info.value.facts["field"] == "event_types"
    assert w.store.contents() == before


# ---- get, list, delete -----------------------------------------------------------


async def test_deleted_endpoints_are_neither_found_nor_listed(w: World, cast: Cast) -> None:
    kept, gone = await register(w), await register(w)
    await w.create(cast.asker, cast.connector)
    [delivery] = deliveries(w, gone)
    assert await w.run(GetEndpoint(gone.id), w.operator()) == gone

    await w.run(DeleteEndpoint(gone.id), w.operator())

    listed = await w.run(ListEndpoints(), w.operator())
    assert [e.id for e in listed.items] == [kept.id]
    before = unchanged(w)
    for cmd in every_command(gone.id, delivery.id):
        with pytest.raises(NotFound):
            await w.run(cmd, w.operator())
    assert w.store.contents() == before


async def test_a_deleted_endpoint_gets_nothing(w: World, cast: Cast) -> None:
    kept, gone = await register(w), await register(w)
    await w.run(DeleteEndpoint(gone.id), w.operator())

    await w.create(cast.asker, cast.connector)

    assert [d.event_type for d in deliveries(w, kept)] == [EventType.CREATED]
    assert deliveries(w, gone) == []


# ---- rotate and enable -----------------------------------------------------------


async def test_rotating_keeps_the_old_secret_for_a_day(w: World) -> None:
    made = await register(w)
    w.clock.advance(timedelta(hours=1))
    now = w.clock.now()

    rotated = await w.run(RotateSecret(made.id), w.operator())

    assert rotated.secret != made.secret
    assert w.store.data.webhook_endpoints[(w.workspace.id, made.id)] == rotated
    day = timedelta(hours=24)
    assert rotated.secrets_at(now + day - timedelta(seconds=1)) == [rotated.secret, made.secret]
    assert rotated.secrets_at(now + day) == [rotated.secret]


async def test_enabling_an_endpoint_releases_what_was_held(w: World, cast: Cast) -> None:
    made = await register(w)
    key = (w.workspace.id, made.id)
    w.store.data.webhook_endpoints[key] = made.disabled("too many failures", w.clock.now())
    await w.create(cast.asker, cast.connector)
    assert [d.status for d in deliveries(w, made)] == ["held"]

    enabled = await w.run(EnableEndpoint(made.id), w.operator())

    assert (enabled.enabled, enabled.disabled_reason) == (True, None)
    assert w.store.data.webhook_endpoints[key] == enabled
    assert [(d.status, d.next_attempt_at) for d in deliveries(w, made)] == [
        ("pending", w.clock.now())
    ]


# ---- deliveries -------------------------------------------------------------------


async def test_deliveries_are_listed_per_endpoint(w: World, cast: Cast) -> None:
    everything = await register(w)
    introductions = await register(w, URL, EventType.INTRODUCED)
    await w.create(cast.asker, cast.connector)

    page = await w.run(ListDeliveries(everything.id), w.operator())
    none_yet = await w.run(ListDeliveries(introductions.id), w.operator())

    assert [d.event_type for d in page.items] == [EventType.CREATED]
    assert none_yet.items == []
    with pytest.raises(NotFound):
        await w.run(ListDeliveries(uuid.uuid4()), w.operator())


async def test_a_failed_delivery_is_retried_now(w: World, cast: Cast) -> None:
    made = await register(w)
    await w.create(cast.asker, cast.connector)
    [delivery] = deliveries(w, made)
    key = (w.workspace.id, delivery.id)
    later = w.clock.now() + timedelta(hours=6)
    w.store.data.webhook_deliveries[key] = replace(delivery, status="failed", next_attempt_at=later)

    retried = await w.run(RetryDelivery(made.id, delivery.id), w.operator())

    assert (retried.status, retried.next_attempt_at) == ("pending", w.clock.now())
    assert w.store.data.webhook_deliveries[key] == retried


async def test_retrying_a_delivery_the_endpoint_does_not_have_is_not_found(
    w: World, cast: Cast
) -> None:
    made, other = await register(w), await register(w)
    await w.create(cast.asker, cast.connector)
    [delivery] = deliveries(w, made)
    before = unchanged(w)

    for cmd in (
        RetryDelivery(made.id, uuid.uuid4()),
        RetryDelivery(other.id, delivery.id),
        RetryDelivery(uuid.uuid4(), delivery.id),
    ):
        with pytest.raises(NotFound):
            await w.run(cmd, w.operator())

    assert w.store.contents() == before


# ---- whose endpoints ---------------------------------------------------------------


async def test_another_workspaces_endpoints_are_not_found(w: World, cast: Cast) -> None:
    made = await register(w)
    await w.create(cast.asker, cast.connector)
    [delivery] = deliveries(w, made)
    elsewhere = replace(w.workspace, id=new_id(), name="Elsewhere")
    stranger = Principal(elsewhere, None, operator=True)
    before = unchanged(w)

    for cmd in every_command(made.id, delivery.id):
        with pytest.raises(NotFound):
            await w.run(cmd, stranger)

    assert (await w.run(ListEndpoints(), stranger)).items == []
    assert w.store.contents() == before


async def test_members_manage_no_endpoints(w: World, cast: Cast) -> None:
    made = await register(w)
    before = unchanged(w)

    for cmd in [ListEndpoints(), *every_command(made.id, uuid.uuid4())]:
        with pytest.raises(NotPermitted):
            await w.run(cmd, w.member(cast.asker))

    assert w.store.contents() == before
