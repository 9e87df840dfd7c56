"""API keys on fakes: a workspace's API key makes more keys (each shown once, stored
as a hash), lists them without secrets and revokes them, never the last active one;
the command line does the same for a workspace named or given by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.world import World, unchanged
from warmintro.domain.access import Authenticator, hash_api_key, new_api_key
from warmintro.domain.commands import (
    CreateApiKey,
    CreateWorkspace,
    CreateWorkspaceApiKey,
    ListApiKeys,
    ListWorkspaceApiKeys,
    RevokeApiKey,
    RevokeWorkspaceApiKey,
)
from warmintro.domain.errors import InvalidInput, NotFound, NotPermitted, Unauthenticated
from warmintro.domain.ids import new_id
from warmintro.domain.ports import ApiKey


async def first_key(w: World) -> ApiKey:
    """The workspace's key, as `workspace create` would have left it."""
    plain = new_api_key(w.workspace.id)
    key = ApiKey(new_id(), w.workspace.id, "first key", w.clock.now())
    w.store.data.api_keys[(w.workspace.id, hash_api_key(plain))] = key
    return key


async def test_a_new_key_is_shown_once_stored_as_a_hash_and_opens_the_workspace(
    w: World,
) -> None:
    await first_key(w)
    w.clock.advance(timedelta(minutes=5))

    new = await w.run(CreateApiKey(label="  billing backend "), w.operator())

    assert new.key.label == "billing backend"
    assert new.key.created_at == w.clock.now() and new.key.revoked_at is None
    assert w.store.data.api_keys[(w.workspace.id, hash_api_key(new.plain))] == new.key
    assert new.plain not in repr(w.store.contents())
    caller = await Authenticator(w.uows, w.member_tokens).authenticate(new.plain, None)
    assert caller.workspace_id == w.workspace.id and caller.operator


async def test_the_list_shows_every_key_oldest_first_and_no_secret(w: World) -> None:
    first = await first_key(w)
    w.clock.advance(timedelta(minutes=1))
    second = await w.run(CreateApiKey(label="second"), w.operator())

    listed = await w.run(ListApiKeys(), w.operator())

    assert listed == [first, second.key]
    assert second.plain not in repr(listed)


async def test_a_revoked_key_is_listed_with_its_date_and_refused(w: World) -> None:
    await first_key(w)
    old = await w.run(CreateApiKey(label="old"), w.operator())
    auth = Authenticator(w.uows, w.member_tokens)
    await auth.authenticate(old.plain, None)  # cached
    w.clock.advance(timedelta(hours=1))

    revoked = await w.run(RevokeApiKey(old.key.id), w.operator())
    auth.forget()

    assert revoked.revoked_at == w.clock.now()
    assert revoked in await w.run(ListApiKeys(), w.operator())
    with pytest.raises(Unauthenticated):
        await auth.authenticate(old.plain, None)


async def test_revoking_a_revoked_key_keeps_its_first_date(w: World) -> None:
    await first_key(w)
    old = await w.run(CreateApiKey(), w.operator())
    first = await w.run(RevokeApiKey(old.key.id), w.operator())
    w.clock.advance(timedelta(days=1))

    again = await w.run(RevokeApiKey(old.key.id), w.operator())

    assert again.revoked_at == first.revoked_at


async def test_the_last_active_key_cannot_be_revoked(w: World) -> None:
    only = await first_key(w)
    revoked = await w.run(CreateApiKey(), w.operator())
    await w.run(RevokeApiKey(revoked.key.id), w.operator())
    before = unchanged(w)

    with pytest.raises(NotPermitted, match="last active API key"):
        await w.run(RevokeApiKey(only.id), w.operator())

    assert unchanged(w) == before
    listed = {k.id: k for k in await w.run(ListApiKeys(), w.operator())}
    assert listed[only.id].active and not listed[revoked.key.id].active


async def test_a_key_of_another_workspace_is_not_found_and_stays_active(w: World) -> None:
    await first_key(w)
    other = await w.use_cases(CreateWorkspace("Other"))
    (other_key,) = await w.use_cases(ListWorkspaceApiKeys(str(other.workspace.id)))
    await w.use_cases(CreateWorkspaceApiKey(str(other.workspace.id)))

    with pytest.raises(NotFound):
        await w.run(RevokeApiKey(other_key.id), w.operator())

    auth = Authenticator(w.uows, w.member_tokens)
    assert (await auth.authenticate(other.api_key, None)).workspace_id == other.workspace.id


async def test_a_member_token_manages_no_keys(w: World) -> None:
    key = await first_key(w)
    member = w.member(w.person("Ada"))

    for cmd in (CreateApiKey(), ListApiKeys(), RevokeApiKey(key.id)):
        with pytest.raises(NotPermitted):
            await w.run(cmd, member)


def test_a_label_is_at_most_100_characters() -> None:
    with pytest.raises(InvalidInput):
        CreateApiKey(label="x" * 101)


# ---- the command line ------------------------------------------------------------


async def test_the_command_line_names_the_workspace_by_name_or_id(w: World) -> None:
    await first_key(w)
    w.clock.advance(timedelta(seconds=1))

    by_name = await w.use_cases(CreateWorkspaceApiKey("Alumni", "ops"))
    w.clock.advance(timedelta(seconds=1))
    by_id = await w.use_cases(CreateWorkspaceApiKey(str(w.workspace.id)))
    await w.use_cases(RevokeWorkspaceApiKey("Alumni", by_name.key.id))

    listed = await w.use_cases(ListWorkspaceApiKeys("Alumni"))
    assert [k.id for k in listed][1:] == [by_name.key.id, by_id.key.id]
    assert listed[1].revoked_at == w.clock.now() and listed[2].active
    assert listed[1].label == "ops"


async def test_the_command_line_refuses_an_unknown_or_ambiguous_workspace(w: World) -> None:
    await w.use_cases(CreateWorkspace("Twin"))
    await w.use_cases(CreateWorkspace("Twin"))

    with pytest.raises(NotFound):
        await w.use_cases(ListWorkspaceApiKeys("Nobody"))
    with pytest.raises(InvalidInput, match="2 workspaces are called 'Twin'"):
        await w.use_cases(CreateWorkspaceApiKey("Twin"))


async def test_the_command_line_cannot_revoke_the_last_active_key(w: World) -> None:
    created = await w.use_cases(CreateWorkspace("Solo"))
    (only,) = await w.use_cases(ListWorkspaceApiKeys("Solo"))

    with pytest.raises(NotPermitted):
        await w.use_cases(RevokeWorkspaceApiKey("Solo", only.id))

    auth = Authenticator(w.uows, w.member_tokens)
    assert (await auth.authenticate(created.api_key, None)).operator
