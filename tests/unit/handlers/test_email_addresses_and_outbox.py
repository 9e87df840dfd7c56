"""On fakes: an address that could name a second recipient is refused wherever a
person's email comes in (creating, editing, naming someone new); operators list
queued mail and queue failed mail again, by workspace name or id."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import (
    CreatePerson,
    CreateWorkspace,
    ListOutbox,
    NewPerson,
    RetryFailedEmails,
    UpdatePerson,
)
from warmintro.domain.errors import InvalidInput, NotFound, NotPermitted

INJECTIONS = [
    "x@example.com>,<root",
    '"a"@b.com, c@d.com',
    "eve@example.com, root@example.com",
    "eve@example.com;root@example.com",
    "Eve <eve@example.com>",
    "eve@example.com\nBcc: root@example.com",
    "eve@example.com\x00",
    "eve(comment)@example.com",
    "eve@[127.0.0.1]",
    "e\\ve@example.com",
    "eve@exam:ple.com",
]


@pytest.mark.parametrize("bad", INJECTIONS)
async def test_an_address_that_could_name_another_recipient_is_refused_everywhere(
    w: World, cast: Cast, bad: str
) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)
    with pytest.raises(InvalidInput) as info:
        await w.run(CreatePerson(bad, "Eve"), w.operator())
    assert info.value.facts == {"field": "email"}
    with pytest.raises(InvalidInput):
        await w.run(UpdatePerson(cast.stranger, email=bad), w.operator())
    with pytest.raises(InvalidInput) as named:
        await w.propose(request.id, cast.connector, expert=NewPerson(bad, "Eve"))
    assert named.value.facts == {"field": "expert.email"}, "the field as the body names it"
    assert w.store.contents() == before


async def test_a_member_may_not_change_an_email_valid_or_not(w: World, cast: Cast) -> None:
    for email in ("ada@elsewhere.org", INJECTIONS[0]):
        with pytest.raises(NotPermitted):
            await w.run(UpdatePerson(cast.asker, email=email), w.member(cast.asker))


def fail_all(w: World) -> None:
    w.store.data.outbox[:] = [
        replace(row, status="failed", attempts=40, last_error="gave up: SMTP unavailable")
        for row in w.store.data.outbox
    ]


async def test_operators_see_failed_mail_and_queue_it_again(w: World, cast: Cast) -> None:
    await w.create(cast.asker, cast.connector)
    await w.create(cast.asker, cast.fallback, topic="Hiring")
    fail_all(w)
    first, *others = w.store.data.outbox  # each ask: the connector's, the asker's news
    assert len(others) == 3

    listed = await w.use_cases(ListOutbox(w.workspace.name, status="failed"))
    assert {(e.id, e.status, e.attempts, e.workspace_name) for e in listed} == {
        (row.id, "failed", 40, "Alumni") for row in (first, *others)
    }
    assert await w.use_cases(ListOutbox(str(w.workspace.id), status="pending")) == []

    assert await w.use_cases(RetryFailedEmails((first.id,))) == [first.id]
    assert await w.use_cases(RetryFailedEmails((first.id,))) == [], "not failed any more"
    retried = await w.use_cases(RetryFailedEmails(workspace="Alumni"))
    assert sorted(retried) == sorted(row.id for row in others)
    for row in w.store.data.outbox:
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
        assert row.available_at == w.clock.now()


async def test_a_workspace_is_named_once_or_by_its_id(w: World, cast: Cast) -> None:
    with pytest.raises(NotFound):
        await w.use_cases(ListOutbox("Nobody"))
    twin = await w.use_cases(CreateWorkspace("Alumni"))
    with pytest.raises(InvalidInput) as info:
        await w.use_cases(RetryFailedEmails(workspace="Alumni"))
    assert str(twin.workspace.id) in info.value.detail
    assert await w.use_cases(ListOutbox(str(twin.workspace.id))) == []
    with pytest.raises(InvalidInput):
        ListOutbox(status="lost")
