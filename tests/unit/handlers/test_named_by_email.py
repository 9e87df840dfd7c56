"""Naming someone by email tells the connector nothing about who owns it: a known
person who cannot be asked (opted out, bounced, snoozed, busy, erased) is refused in
one and the same words, with no date, count or reason; the body of a proposal that
goes through carries ids only, never the stored name."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.world import Cast, World
from warmintro.domain.commands import Forward, NewPerson
from warmintro.domain.errors import AskBudgetExceeded, DomainError, RecipientUnavailable
from warmintro.domain.people import EmailStatus

UNASKABLE: dict[str, dict[str, Any]] = {
    "never-contact": {"never_contact": True},
    "snoozed": {"snooze_until": "soon"},
    "over-budget": {"ask_budget": 0},
    "bounced": {"email_status": EmailStatus.BOUNCED},
    "suppressed": {"email_status": EmailStatus.SUPPRESSED},
}


def unaskable(w: World, name: str, how: dict[str, Any]) -> str:
    fields = dict(how)
    if fields.get("snooze_until") == "soon":
        fields["snooze_until"] = w.clock.now() + timedelta(days=30)
    person_id = w.person(name, **fields)
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    return person.email


def refusal(exc: DomainError) -> tuple[type, str, dict[str, Any]]:
    return type(exc), exc.detail, dict(vars(exc))


@pytest.mark.parametrize("how", UNASKABLE.values(), ids=UNASKABLE.keys())
async def test_a_known_expert_who_cannot_be_asked_is_refused_in_the_same_words(
    w: World, cast: Cast, how: dict[str, Any]
) -> None:
    email = unaskable(w, "Quinn", how)
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(RecipientUnavailable) as refused:
        await w.propose(request.id, cast.connector, expert=NewPerson(email, "Whoever"))

    assert refused.value.detail == "this expert cannot be asked"
    assert not isinstance(refused.value, AskBudgetExceeded)
    assert not hasattr(refused.value, "retry_after")


async def test_every_reason_gives_the_same_refusal(w: World, cast: Cast) -> None:
    seen = set()
    for name, how in UNASKABLE.items():
        email = unaskable(w, name.replace("-", ""), how)
        request = await w.create(cast.asker, cast.connector, topic=f"topic {name}")
        with pytest.raises(RecipientUnavailable) as refused:
            await w.propose(request.id, cast.connector, expert=NewPerson(email, "X"))
        seen.add(repr(refusal(refused.value)))
    assert len(seen) == 1, seen


@pytest.mark.parametrize("how", UNASKABLE.values(), ids=UNASKABLE.keys())
async def test_a_known_connector_who_cannot_be_asked_is_refused_in_the_same_words(
    w: World, cast: Cast, how: dict[str, Any]
) -> None:
    email = unaskable(w, "Quinn", how)
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(RecipientUnavailable) as refused:
        await w.decide(request.id, cast.connector, Forward(connector=NewPerson(email, "Who")))

    assert refused.value.detail == "this connector cannot be asked"
    assert not hasattr(refused.value, "retry_after")


async def test_by_id_the_specific_reason_is_still_given(w: World, cast: Cast) -> None:
    """An id is someone the caller already knows: the precise answer helps them."""
    snoozed = w.person("Sam", snooze_until=w.clock.now() + timedelta(days=3))
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(AskBudgetExceeded):
        await w.propose(request.id, cast.connector, expert_id=snoozed)


async def test_a_proposal_by_a_known_email_answers_with_ids_not_the_stored_name(
    w: World, cast: Cast
) -> None:
    known = w.store.person(w.workspace.id, cast.expert)
    assert known is not None
    w.store.data.people[(w.workspace.id, known.id)] = replace(known, name="Stored Secret Name")
    request = await w.create(cast.asker, cast.connector)

    seen = await w.propose(request.id, cast.connector, expert=NewPerson(known.email, "Typed"))

    assert "Stored Secret Name" not in repr(seen)
