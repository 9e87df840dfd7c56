"""The `discoverable` preference on fakes: true unless a person says otherwise, and
never a way into a connector's suggestions: those come only from the connector's
own connections, so a person who is not discoverable is suggested to those who
know them and to no one else."""

from __future__ import annotations

from tests.unit.world import Cast, World
from warmintro.domain.commands import AddConnection, CreatePerson, SuggestExperts, UpdatePerson


async def test_people_are_discoverable_unless_they_say_otherwise(w: World, cast: Cast) -> None:
    created = await w.run(CreatePerson(email="nia@example.org", name="Nia"), w.operator())

    hidden = await w.run(UpdatePerson(cast.expert, discoverable=False), w.member(cast.expert))
    renamed = await w.run(UpdatePerson(cast.expert, name="Eve E."), w.member(cast.expert))

    assert created.preferences.discoverable is True
    assert hidden.preferences.discoverable is False
    assert renamed.preferences.discoverable is False


async def test_one_who_is_not_discoverable_is_suggested_only_to_those_who_know_them(
    w: World, cast: Cast
) -> None:
    hidden = w.person("Zed", expertise=("b2b pricing",), discoverable=False)
    known = w.person("Kim", expertise=("b2b pricing",), discoverable=False)
    await w.run(AddConnection(cast.connector, known, 3), w.operator())
    await w.run(AddConnection(cast.expert, hidden, 5, mutual=True), w.operator())
    await w.run(AddConnection(cast.connector, cast.expert, 5), w.operator())
    request = await w.create(cast.asker, cast.connector, topic="B2B pricing for a SaaS")

    suggested = await w.run(SuggestExperts(request.id), w.member(cast.connector))

    assert [s.person.id for s in suggested] == [known]
