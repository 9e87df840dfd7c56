"""API keys over HTTP and on the command line: a second key, shown once; the list
without secrets; a revoked key refused at once by this process; the last active
key never revoked; and `warmintro api-key create|list|revoke`."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.command_line import warmintro
from tests.workspaces import Workspace, new_workspace
from warmintro.api.container import Container
from warmintro.infra.tables import api_keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_second_key_is_shown_once_and_opens_the_workspace(
    api: httpx.AsyncClient, container: Container, workspace: Workspace
) -> None:
    r = await api.post("/v1/api-keys", json={"label": "billing"})

    assert r.status_code == 201, r.text
    created = r.json()
    assert created["label"] == "billing" and created["revoked_at"] is None
    assert created["key"].startswith("wik_")
    assert r.headers["content-type"].startswith("application/json")
    me = await api.get("/v1/workspace", headers=bearer(created["key"]))
    assert me.status_code == 200 and me.json()["id"] == str(workspace.id)
    async with container.engine.connect() as conn:
        stored = [tuple(row) for row in await conn.execute(api_keys.select())]
    assert created["key"] not in repr(stored)


async def test_the_list_names_every_key_and_shows_no_secret(
    api: httpx.AsyncClient, workspace: Workspace
) -> None:
    created = (await api.post("/v1/api-keys", json={})).json()

    r = await api.get("/v1/api-keys")

    assert r.status_code == 200, r.text
    listed = {k["id"]: k for k in r.json()}
    assert sorted(k["label"] for k in listed.values()) == ["", "first key"]
    assert listed[created["id"]]["label"] == ""
    assert all(set(k) == {"id", "label", "created_at", "revoked_at"} for k in listed.values())
    assert workspace.api_key not in r.text and created["key"] not in r.text


async def test_a_revoked_key_is_refused_at_once_even_when_it_revokes_itself(
    api: httpx.AsyncClient, workspace: Workspace
) -> None:
    (first,) = (await api.get("/v1/api-keys")).json()
    second = (await api.post("/v1/api-keys", json={"label": "new"})).json()

    r = await api.delete(f"/v1/api-keys/{first['id']}")  # with the first key itself

    assert r.status_code == 204, r.text
    refused = await api.get("/v1/workspace")
    assert refused.status_code == 401
    listed = {
        k["id"]: k for k in (await api.get("/v1/api-keys", headers=bearer(second["key"]))).json()
    }
    assert listed[first["id"]]["revoked_at"] is not None
    assert listed[second["id"]]["revoked_at"] is None


async def test_the_last_active_key_cannot_be_revoked(api: httpx.AsyncClient) -> None:
    (only,) = (await api.get("/v1/api-keys")).json()

    r = await api.delete(f"/v1/api-keys/{only['id']}")

    assert r.status_code == 403, r.text
    assert "last active API key" in r.json()["detail"]
    assert (await api.get("/v1/workspace")).status_code == 200


async def test_a_key_of_another_workspace_is_not_found(
    api: httpx.AsyncClient, app_client: httpx.AsyncClient, container: Container
) -> None:
    other = await new_workspace(container, "other")
    (theirs,) = (await app_client.get("/v1/api-keys", headers=bearer(other.api_key))).json()
    await app_client.post("/v1/api-keys", json={}, headers=bearer(other.api_key))

    r = await api.delete(f"/v1/api-keys/{theirs['id']}")

    assert r.status_code == 404, r.text
    assert (await app_client.get("/v1/workspace", headers=bearer(other.api_key))).status_code == 200


async def test_a_member_token_may_not_manage_keys(api: httpx.AsyncClient) -> None:
    person = await api.post("/v1/people", json={"email": "ada@example.org", "name": "Ada"})
    token = (await api.post(f"/v1/people/{person.json()['id']}/tokens")).json()["token"]

    r = await api.get("/v1/api-keys", headers=bearer(token))

    assert r.status_code == 403, r.text


async def test_the_retention_is_a_timing_setting_of_at_least_a_day(api: httpx.AsyncClient) -> None:
    assert (await api.get("/v1/workspace")).json()["timing"]["retention_days"] == 90.0

    r = await api.patch("/v1/workspace", json={"timing": {"retention_days": 30}})
    assert r.status_code == 200, r.text
    assert r.json()["timing"]["retention_days"] == 30.0
    short = await api.patch("/v1/workspace", json={"timing": {"retention_days": 0.5}})
    assert short.status_code == 422, short.text


# ---- the command line ------------------------------------------------------------


@pytest.mark.usefixtures("command_line_env")
async def test_the_command_line_creates_lists_and_revokes_keys(
    app_client: httpx.AsyncClient, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    key = (
        await warmintro(
            capsys, "api-key", "create", "--workspace", workspace.name, "--label", "ci", "--quiet"
        )
    ).strip()
    assert (await app_client.get("/v1/workspace", headers=bearer(key))).status_code == 200

    listed = await warmintro(capsys, "api-key", "list", "--workspace", str(workspace.id))
    header, *rows = listed.splitlines()
    assert header == "id\tcreated\trevoked\tlabel"
    by_label = {row.split("\t")[3]: row.split("\t") for row in rows}
    assert set(by_label) == {"first key", "ci"}
    assert key not in listed and workspace.api_key not in listed

    first_id, ci_id = by_label["first key"][0], by_label["ci"][0]
    out = await warmintro(capsys, "api-key", "revoke", first_id, "--workspace", workspace.name)
    assert f"API key {first_id} revoked" in out
    relisted = await warmintro(capsys, "api-key", "list", "--workspace", workspace.name)
    revoked = {row.split("\t")[0]: row.split("\t")[2] for row in relisted.splitlines()[1:]}
    assert revoked[first_id] != "-" and revoked[ci_id] == "-"

    with pytest.raises(SystemExit, match="last active API key"):
        await warmintro(capsys, "api-key", "revoke", ci_id, "--workspace", workspace.name)
    with pytest.raises(SystemExit, match="a key id is a UUID"):
        await warmintro(capsys, "api-key", "revoke", "nope", "--workspace", workspace.name)
    with pytest.raises(SystemExit, match="workspace not found"):
        await warmintro(capsys, "api-key", "list", "--workspace", str(uuid.uuid4()))
