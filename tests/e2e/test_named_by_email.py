"""Over HTTP: a connector naming an expert by email is answered as for a new person,
whether or not the address is known and whether or not its owner can be asked (who
cannot is not emailed); by id, the refusal says why. The answer never carries the
stored name; an erased person's member token is refused the moment they are erased."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.clock import FakeClock
from tests.e2e.world import World, assert_problem, bearer


async def test_by_email_an_unaskable_expert_is_proposed_by_id_they_are_refused(
    world: World, clock: FakeClock
) -> None:
    """By email the connector learns nothing of who owns the address (the whole
    comparison, with the emails and the timers, is in email/test_unasked_by_email.py);
    by id they know whom they name, and the refusal says why."""
    snooze = (clock.now() + timedelta(days=9)).isoformat()
    owners: dict[str, dict[str, Any]] = {
        "never-contact": {"preferences": {"never_contact": True}},
        "snoozed": {"preferences": {"snooze_until": snooze}},
        "over-budget": {"preferences": {"ask_budget": 0}},
    }
    refusals = {"never-contact": 409, "snoozed": 429, "over-budget": 429}
    for how, fields in owners.items():
        owner = await world.person(f"Stored Name {how}", **fields)
        asker, connector = await world.pid(), await world.pid()
        rid = (await world.ask(asker, connector, topic=f"topic {how}"))["id"]
        token = bearer(await world.token(connector))
        by_id = await world.api.post(
            f"/v1/intro-requests/{rid}/propose", json={"expert_id": owner["id"]}, headers=token
        )
        assert_problem(by_id, refusals[how])
        r = await world.api.post(
            f"/v1/intro-requests/{rid}/propose",
            json={"expert": {"email": owner["email"], "name": "Typed Name"}},
            headers=token,
        )
        assert r.status_code == 200, (how, r.text)
        assert (r.json()["state"], r.json()["expert_id"]) == ("awaiting_expert", None)
        assert owner["id"] not in r.text
        assert "Stored Name" not in r.text and snooze[:10] not in r.text
        assert await world.mail.rows(rid, recipient_id=owner["id"]) == []


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
