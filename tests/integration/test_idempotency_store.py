"""The Idempotency-Key store on both backends: claim, complete, replay; a
reused key with another body; a key in progress; a lapsed lock; release."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import FakeClock
from warmintro.domain.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from warmintro.domain.ids import new_id
from warmintro.infra.idempotency import LOCK, IdempotencyStore, StoredResponse
from warmintro.infra.tables import idempotency_keys

PRINCIPAL = "key:-"
BODY = {"id": "0190d1f2-0000-7000-8000-000000000000", "state": "awaiting_connector", "n": [1, 2]}


@pytest.fixture
def store(engine: AsyncEngine, clock: FakeClock) -> IdempotencyStore:
    return IdempotencyStore(engine, clock)


async def test_first_claim_owns_the_key_and_a_completed_key_replays(
    store: IdempotencyStore, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    await store.complete(ws_id, PRINCIPAL, "k1", 201, BODY)

    for _ in range(2):  # replays as often as it is retried
        assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") == StoredResponse(201, BODY)


async def test_a_completed_key_replays_after_the_lock_would_have_lapsed(
    store: IdempotencyStore, clock: FakeClock, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    await store.complete(ws_id, PRINCIPAL, "k1", 200, BODY)
    clock.advance(timedelta(hours=23))
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") == StoredResponse(200, BODY)


async def test_a_key_older_than_a_day_is_new_again(
    store: IdempotencyStore, clock: FakeClock, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    await store.complete(ws_id, PRINCIPAL, "k1", 200, BODY)
    clock.advance(timedelta(hours=24))
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-b") is None, "another body is fine now"
    await store.complete(ws_id, PRINCIPAL, "k1", 201, {"second": True})
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-b") == StoredResponse(
        201, {"second": True}
    )


async def test_the_same_key_with_another_body_is_refused(
    store: IdempotencyStore, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    with pytest.raises(IdempotencyKeyReused):
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-b")  # while in progress
    await store.complete(ws_id, PRINCIPAL, "k1", 201, BODY)
    with pytest.raises(IdempotencyKeyReused):
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-b")  # and once done
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") == StoredResponse(201, BODY)


async def test_a_claim_while_the_key_is_locked_is_refused_as_in_use(
    store: IdempotencyStore, clock: FakeClock, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    with pytest.raises(IdempotencyKeyInUse):
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-a")
    clock.advance(LOCK - timedelta(seconds=1))
    with pytest.raises(IdempotencyKeyInUse):
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-a")


async def test_concurrent_claims_let_exactly_one_through(
    store: IdempotencyStore, ws_id: uuid.UUID
) -> None:
    results = await asyncio.gather(
        *(store.claim(ws_id, PRINCIPAL, "race", "fp-a") for _ in range(6)),
        return_exceptions=True,
    )
    assert results.count(None) == 1, results
    assert all(isinstance(r, IdempotencyKeyInUse) for r in results if r is not None), results


async def test_a_stale_lock_can_be_taken_over(
    store: IdempotencyStore, clock: FakeClock, engine: AsyncEngine, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    clock.advance(LOCK + timedelta(seconds=1))  # the first owner died
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    with pytest.raises(IdempotencyKeyInUse):  # and the new owner holds a fresh lock
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-a")

    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(idempotency_keys).where(idempotency_keys.c.workspace_id == ws_id)
            )
        ).one()
    assert row.locked_until == clock.now() + LOCK
    assert row.status_code is None

    await store.complete(ws_id, PRINCIPAL, "k1", 201, BODY)
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") == StoredResponse(201, BODY)


async def test_a_stale_lock_is_still_refused_with_another_body(
    store: IdempotencyStore, clock: FakeClock, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    clock.advance(LOCK + timedelta(seconds=1))
    with pytest.raises(IdempotencyKeyReused):
        await store.claim(ws_id, PRINCIPAL, "k1", "fp-b")


async def test_release_frees_the_key(store: IdempotencyStore, ws_id: uuid.UUID) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    await store.release(ws_id, PRINCIPAL, "k1")
    # Free for a retry at once, even with another body: nothing was stored.
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-b") is None


async def test_release_keeps_a_completed_response(
    store: IdempotencyStore, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    await store.complete(ws_id, PRINCIPAL, "k1", 201, BODY)
    await store.release(ws_id, PRINCIPAL, "k1")
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") == StoredResponse(201, BODY)


async def test_keys_are_scoped_to_workspace_and_principal(
    store: IdempotencyStore, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    assert await store.claim(ws_id, f"member:{new_id()}", "k1", "fp-b") is None
    assert await store.claim(new_id(), PRINCIPAL, "k1", "fp-b") is None
    assert await store.claim(ws_id, PRINCIPAL, "k2", "fp-b") is None


async def test_concurrent_takeovers_of_a_stale_lock_let_exactly_one_through(
    store: IdempotencyStore, clock: FakeClock, ws_id: uuid.UUID
) -> None:
    assert await store.claim(ws_id, PRINCIPAL, "k1", "fp-a") is None
    clock.advance(LOCK + timedelta(seconds=1))
    results = await asyncio.gather(
        *(store.claim(ws_id, PRINCIPAL, "k1", "fp-a") for _ in range(6)),
        return_exceptions=True,
    )
    assert results.count(None) == 1, results
    assert all(isinstance(r, IdempotencyKeyInUse) for r in results if r is not None), results
