"""People on fakes: the operator adds them, members see the directory without emails,
and people edit their own profile; an opt-out moves the asks waiting on them on at
once. Connections and member tokens are in test_connections_and_member_tokens.py."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import (
    CreatePerson,
    GetPerson,
    ListPeople,
    UpdatePerson,
)
from warmintro.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    NotPermitted,
)
from warmintro.domain.intro_request import State
from warmintro.domain.people import Person, Preferences


def erase(w: World, person_id: uuid.UUID) -> None:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    w.store.data.people[(w.workspace.id, person_id)] = person.erased(w.clock.now())


def stored(w: World, person_id: uuid.UUID) -> Person:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    return person


# ---- create ---------------------------------------------------------------

NINA = ("Nina.Doe@example.com", "Nina Doe", "Pricing lead", ("b2b pricing", "saas"))


async def test_an_operator_creates_a_person_with_normalised_fields(w: World) -> None:
    commits = w.commits
    cmd = CreatePerson(
        email="  Nina.Doe@Example.COM ",
        name=" Nina Doe ",
        headline=" Pricing lead ",
        expertise=("  B2B   Pricing ", "b2b pricing", "SaaS"),
    )

    person = await w.run(cmd, w.operator())

    assert (person.email, person.name, person.headline, person.expertise) == NINA
    assert stored(w, person.id) == person
    assert w.commits == commits + 1


async def test_a_member_may_not_create_a_person(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(CreatePerson(email="nina@example.org", name="Nina"), w.member(cast.asker))
    assert w.store.contents() == before


async def test_an_email_is_unique_in_the_workspace_whatever_its_case(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(AlreadyExists) as info:
        await w.run(CreatePerson(email="ADA@example.ORG", name="Ada Two"), w.operator())
    assert info.value.facts["field"] == "email"
    assert w.store.contents() == before


@pytest.mark.parametrize("field", ["name", "headline"])
async def test_names_and_headlines_must_be_one_line(w: World, field: str) -> None:
    bad = "Nina\r\nBcc: all@example.org"
    cmd = CreatePerson(
        email="nina@example.org",
        name=bad if field == "name" else "Nina",
        headline=bad if field == "headline" else "",
    )
    before = unchanged(w)
    with pytest.raises(InvalidInput) as info:
        await w.run(cmd, w.operator())
    assert info.value.facts["field"] == field
    assert w.store.contents() == before


# ---- get and list -----------------------------------------------------------


async def test_anyone_in_the_workspace_gets_a_person_but_not_an_erased_one(
    w: World, cast: Cast
) -> None:
    seen = await w.run(GetPerson(cast.expert), w.member(cast.asker))
    assert seen == stored(w, cast.expert)

    erase(w, cast.expert)
    for principal in (w.member(cast.asker), w.operator()):
        with pytest.raises(NotFound):
            await w.run(GetPerson(cast.expert), principal)


async def test_members_cannot_find_people_by_email(w: World, cast: Cast) -> None:
    await w.run(
        CreatePerson(email="nina.private@mailbox.test", name="Nina", headline="Pricing lead"),
        w.operator(),
    )

    as_member = await w.run(ListPeople(q="mailbox.test"), w.member(cast.asker))
    as_operator = await w.run(ListPeople(q="mailbox.test"), w.operator())
    by_headline = await w.run(ListPeople(q="pricing"), w.member(cast.asker))

    assert as_member.items == []
    assert [p.name for p in as_operator.items] == ["Nina"]
    assert [p.name for p in by_headline.items] == ["Nina"]


async def test_the_directory_leaves_out_erased_people_and_filters_by_normalised_tag(
    w: World, cast: Cast
) -> None:
    pricing = w.person("Nina", expertise=("b2b pricing",))
    w.person("Olga", expertise=("b2b pricing",))
    erase(w, cast.expert)

    everyone = await w.run(ListPeople(limit=50), w.member(cast.asker))
    erase(w, pricing)
    tagged = await w.run(ListPeople(expertise="  B2B  Pricing "), w.member(cast.asker))

    assert cast.expert not in {p.id for p in everyone.items}
    assert len(everyone.items) == 7  # the cast of six, less Eve, with Nina and Olga
    assert [p.name for p in tagged.items] == ["Olga"]


# ---- update -------------------------------------------------------------------


async def test_people_edit_their_own_profile(w: World, cast: Cast) -> None:
    commits = w.commits
    w.clock.advance(timedelta(hours=1))
    updated = await w.run(
        UpdatePerson(cast.asker, name=" Ada L. ", expertise=("Maths ",), bio=" Engines "),
        w.member(cast.asker),
    )
    assert (updated.name, updated.expertise, updated.bio) == ("Ada L.", ("maths",), "Engines")
    assert stored(w, cast.asker) == updated
    assert updated.updated_at == w.clock.now()
    assert w.commits == commits + 1


async def test_a_member_may_not_edit_someone_else(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(UpdatePerson(cast.expert, name="Mallory"), w.member(cast.asker))
    assert w.store.contents() == before


async def test_only_an_api_key_changes_an_email(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(UpdatePerson(cast.asker, email="ada@new.test"), w.member(cast.asker))
    assert w.store.contents() == before

    updated = await w.run(UpdatePerson(cast.asker, email=" ada@NEW.test "), w.operator())
    assert stored(w, cast.asker).email == updated.email == "ada@new.test"


async def test_an_email_taken_by_someone_else_is_refused(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(AlreadyExists):
        await w.run(UpdatePerson(cast.asker, email="EVE@example.org"), w.operator())
    assert w.store.contents() == before


async def test_none_clears_the_budget_and_snooze_while_unset_keeps_them(
    w: World, cast: Cast
) -> None:
    until = w.clock.now() + timedelta(days=3)
    me = w.member(cast.asker)
    await w.run(UpdatePerson(cast.asker, ask_budget=2, snooze_until=until), me)

    kept = await w.run(UpdatePerson(cast.asker, headline="Founder"), me)
    assert (kept.preferences.ask_budget, kept.preferences.snooze_until) == (2, until)

    cleared = await w.run(UpdatePerson(cast.asker, ask_budget=None, snooze_until=None), me)
    assert (cleared.preferences.ask_budget, cleared.preferences.snooze_until) == (None, None)
    assert stored(w, cast.asker).preferences == cleared.preferences


async def test_opting_out_as_connector_hands_the_ask_to_a_fallback(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))

    await w.run(UpdatePerson(cast.connector, never_contact=True), w.member(cast.connector))

    moved = w.stored(request.id)
    assert (moved.state, moved.connector_id) == (State.AWAITING_CONNECTOR, cast.fallback)
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    assert stored(w, cast.connector).preferences.never_contact is True


async def test_opting_out_as_connector_without_fallback_expires_the_ask(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.run(UpdatePerson(cast.connector, never_contact=True), w.operator())

    assert w.stored(request.id).state is State.EXPIRED
    assert w.emails()[-1] == ("asker_expired", cast.asker, ())


async def test_opting_out_as_expert_returns_the_ask_to_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    await w.run(UpdatePerson(cast.expert, never_contact=True), w.member(cast.expert))

    back = w.stored(request.id)
    assert (back.state, back.expert_id) == (State.AWAITING_CONNECTOR, None)
    assert cast.expert in back.declined_expert_ids
    assert w.emails()[-1] == ("connector_expert_unreachable", cast.connector, ())


async def test_only_a_new_opt_out_moves_asks_on(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    person = stored(w, cast.connector)
    # Opted out already (the ask came in before), and now editing something else.
    w.store.data.people[(w.workspace.id, person.id)] = replace(
        person, preferences=Preferences(never_contact=True)
    )

    await w.run(
        UpdatePerson(cast.connector, headline="Busy", never_contact=True), w.member(cast.connector)
    )

    assert stored(w, cast.connector).headline == "Busy"
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR
    assert w.emails() == [("asker_ask_sent", cast.asker, ()), ("connector_ask", cast.connector, ())]
