"""Over HTTP: a connector naming an expert by email cannot tell from the refusal
whether its owner opted out, is snoozed or is busy (one 409, the same body), and the
answer never carries the stored name; an erased person's member token is refused
the moment they are erased."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.clock import FakeClock
from tests.e2e.world import World, assert_problem, bearer

HIDDEN = ("type", "title", "status", "detail", "code", "role")


async def test_known_experts_who_cannot_be_asked_are_refused_alike(
    world: World, clock: FakeClock
) -> None:
    snooze = (clock.now() + timedelta(days=9)).isoformat()
    owners: dict[str, dict[str, Any]] = {
        "never-contact": {"preferences": {"never_contact": True}},
        "snoozed": {"preferences": {"snooze_until": snooze}},
        "over-budget": {"preferences": {"ask_budget": 0}},
    }
    bodies: dict[str, dict[str, Any]] = {}
    for how, fields in owners.items():
        owner = await world.person(f"Stored Name {how}", **fields)
        asker, connector = await world.pid(), await world.pid()
        rid = (await world.ask(asker, connector, topic=f"topic {how}"))["id"]
        token = bearer(await world.token(connector))
        r = await world.api.post(
            f"/v1/intro-requests/{rid}/propose",
            json={"expert": {"email": owner["email"], "name": "Typed Name"}},
            headers=token,
        )
        assert_problem(r, 409, "recipient_unavailable")
        assert "retry-after" not in r.headers, how
        assert "Stored Name" not in r.text and snooze[:10] not in r.text
        bodies[how] = {k: v for k, v in r.json().items() if k in HIDDEN}
    assert len({repr(sorted(b.items())) for b in bodies.values()}) == 1, bodies


async def test_a_proposal_by_a_known_email_never_echoes_the_stored_name(world: World) -> None:
    owner = await world.person("Stored Secret Name", expertise=["secret-expertise"])
    asker, connector = await world.pid(), await world.pid()
    rid = (await world.ask(asker, connector))["id"]
    token = bearer(await world.token(connector))

    r = await world.api.post(
        f"/v1/intro-requests/{rid}/propose",
        json={"expert": {"email": owner["email"], "name": "Typed Name"}},
        headers=token,
    )

    assert r.status_code == 200, r.text
    assert "Stored Secret Name" not in r.text and "secret-expertise" not in r.text


async def test_an_erased_persons_member_token_is_refused_at_once(world: World) -> None:
    person = await world.pid("Leaving")
    token = bearer(await world.token(person))
    assert (await world.api.get("/v1/intro-requests", headers=token)).status_code == 200

    assert (await world.api.delete(f"/v1/people/{person}")).status_code == 204

    assert_problem(await world.api.get("/v1/intro-requests", headers=token), 401)
    assert_problem(await world.api.get(f"/v1/people/{person}", headers=token), 401)
