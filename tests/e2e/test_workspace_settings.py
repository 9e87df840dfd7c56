"""The workspace's own deadlines and budgets, and that new asks follow them."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.clock import FakeClock
from tests.e2e.world import World


async def test_defaults_are_those_of_the_design(api: httpx.AsyncClient) -> None:
    r = await api.get("/v1/workspace")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timing"] == {
        "connector_deadline_hours": 120.0,
        "connector_reminder_hours": 72.0,
        "expert_deadline_hours": 168.0,
        "expert_reminder_hours": 96.0,
        "feedback_delay_hours": 72.0,
        "ask_lifetime_days": 30.0,
        "email_retry_days": 3.0,
        "retention_days": 90.0,
    }
    assert body["budgets"] == {"connector_open": 5, "expert_pending": 3}


async def test_new_asks_follow_changed_deadlines_and_budgets(
    api: httpx.AsyncClient, world: World, clock: FakeClock
) -> None:
    r = await api.patch(
        "/v1/workspace",
        json={
            "timing": {"connector_deadline_hours": 48, "connector_reminder_hours": 24},
            "budgets": {"connector_open": 1},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["timing"]["connector_deadline_hours"] == 48.0
    asker, other, connector = [await world.pid(n) for n in ("ann", "bob", "cat")]
    created = await api.post(
        "/v1/intro-requests",
        json={"asker_id": asker, "connector_id": connector, "topic": "t", "message": "m"},
    )
    assert created.status_code == 201, created.text
    deadline = created.json()["deadline_at"]
    assert deadline.startswith((clock.now() + timedelta(hours=48)).date().isoformat())
    second = await api.post(
        "/v1/intro-requests",
        json={"asker_id": other, "connector_id": connector, "topic": "t", "message": "m"},
    )
    assert second.status_code == 429, second.text


async def test_a_reminder_after_its_deadline_is_refused_and_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    before = (await api.get("/v1/workspace")).json()
    r = await api.patch("/v1/workspace", json={"timing": {"expert_reminder_hours": 500}})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await api.get("/v1/workspace")).json() == before


async def test_members_cannot_see_or_change_workspace_settings(
    api: httpx.AsyncClient, world: World
) -> None:
    person = await world.pid("mia")
    token = (await api.post(f"/v1/people/{person}/tokens")).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/v1/workspace", headers=headers)).status_code == 403
    r = await api.patch("/v1/workspace", json={"name": "x"}, headers=headers)
    assert r.status_code == 403
