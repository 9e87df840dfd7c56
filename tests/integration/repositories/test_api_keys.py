"""The API-key repository contract, on the fakes, SQLite and PostgreSQL: keys are
listed oldest first with their labels, revoked once (the first date stands), and a
revoked key no longer exists for the authenticator."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.builder import NOW, Builder
from warmintro.domain.ids import new_id
from warmintro.domain.ports import ApiKey


async def test_keys_are_listed_oldest_first_and_revoked_once(build: Builder) -> None:
    first = ApiKey(new_id(), build.workspace_id, "first key", NOW)
    second = ApiKey(new_id(), build.workspace_id, "billing", NOW + timedelta(minutes=1))
    elsewhere = ApiKey(new_id(), new_id(), "theirs", NOW)
    async with build.uow() as uow:
        await uow.api_keys.add(second, "b" * 64)
        await uow.api_keys.add(first, "a" * 64)
        await uow.api_keys.add(elsewhere, "c" * 64)
        await uow.commit()

    async with build.uow() as uow:
        await uow.api_keys.revoke(build.workspace_id, first.id, NOW + timedelta(hours=1))
        await uow.api_keys.revoke(build.workspace_id, first.id, NOW + timedelta(hours=2))
        await uow.api_keys.revoke(build.workspace_id, elsewhere.id, NOW)  # not this workspace's
        await uow.commit()

    async with build.uow(write=False) as uow:
        listed = await uow.api_keys.listed(build.workspace_id)
        assert not await uow.api_keys.exists(build.workspace_id, "a" * 64)
        assert await uow.api_keys.exists(build.workspace_id, "b" * 64)
        assert await uow.api_keys.exists(elsewhere.workspace_id, "c" * 64)
    assert listed == [
        ApiKey(first.id, build.workspace_id, "first key", NOW, NOW + timedelta(hours=1)),
        second,
    ]
