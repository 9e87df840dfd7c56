"""Suggested experts on fakes: the connector's connections matched to the topic as
words (tags as whole phrases, then headline, then bio), stronger connections
first among equals; never a party, anyone who cannot be asked, or a word inside
another. Only the current connector sees them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World
from warmintro.domain.commands import AddConnection, SuggestExperts
from warmintro.domain.errors import NotPermitted


async def suggested(w: World, cast: Cast, topic: str) -> list[str]:
    request = await w.create(cast.asker, cast.connector, topic=topic)
    found = await w.run(SuggestExperts(request.id), w.member(cast.connector))
    return [s.person.name for s in found]


async def know(w: World, connector: uuid.UUID, *people: tuple[uuid.UUID, int]) -> None:
    for person, strength in people:
        await w.run(AddConnection(connector, person, strength), w.operator())


async def test_a_word_inside_another_suggests_nobody(w: World, cast: Cast) -> None:
    await know(w, cast.connector, (w.person("Aigo", expertise=("ai", "go")), 5))

    assert await suggested(w, cast, "Google Ads campaign") == []
    assert await suggested(w, cast, "Retaining customers") == []
    assert await suggested(w, cast, "Go for AI") == ["Aigo"]


async def test_tags_then_headline_then_bio_then_strength(w: World, cast: Cast) -> None:
    await know(
        w,
        cast.connector,
        (w.person("Bio", bio="Years of pricing work."), 5),
        (w.person("Head", headline="Pricing models lead"), 5),
        (w.person("Weak", expertise=("pricing model",)), 1),
        (w.person("Strong", expertise=("pricing model",)), 4),
        (w.person("Partial", expertise=("model railways",)), 5),
    )

    assert await suggested(w, cast, "Pricing models") == ["Strong", "Weak", "Head", "Bio"]


async def test_parties_and_people_who_cannot_be_asked_are_never_suggested(
    w: World, cast: Cast
) -> None:
    shy = w.person("Shy", expertise=("pricing",), never_contact=True)
    later = w.person("Later", expertise=("pricing",), snooze_until=w.clock.now() + timedelta(30))
    fine = w.person("Fine", expertise=("pricing",))
    asker = (w.workspace.id, cast.asker)
    w.store.data.people[asker] = replace(w.store.data.people[asker], expertise=("pricing",))
    await know(w, cast.connector, (shy, 5), (later, 5), (cast.asker, 5), (fine, 1))

    assert await suggested(w, cast, "Pricing") == ["Fine"]


async def test_only_the_current_connector_sees_suggestions(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(NotPermitted):
        await w.run(SuggestExperts(request.id), w.member(cast.asker))
