"""Following a link from an email as a visitor would, and the state a decision
would touch (the request, its timeline, its outbox rows, every action link)."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from tests.e2e.pages.reading import assert_page
from tests.e2e.world import World
from warmintro.domain.action_links import token_hash
from warmintro.infra.tables import action_links


async def link_rows(world: World) -> list[Any]:
    async with world.container.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(action_links).where(action_links.c.workspace_id == world.workspace.id)
        )
        return sorted((tuple(r) for r in rows), key=repr)


async def link_row(world: World, path: str) -> Any:
    async with world.container.engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(action_links).where(
                    action_links.c.workspace_id == world.workspace.id,
                    action_links.c.token_hash == token_hash(path.removeprefix("/a/")),
                )
            )
        ).one()


async def state(world: World, request_id: str) -> tuple[Any, ...]:
    """Everything a decision would touch: the request, its timeline, its outbox rows,
    and every action link of the workspace (with used_at)."""
    view, events = await world.snapshot(request_id)
    outbox_rows = sorted((tuple(r) for r in await world.mail.rows(request_id)), key=repr)
    return view, events, outbox_rows, await link_rows(world)


async def only_looks(
    visitor: httpx.AsyncClient, world: World, path: str, request_id: str, *texts: str
) -> str:
    """GET (twice) and HEAD the link: a page each time, and nothing changes."""
    before = await state(world, request_id)
    r = await visitor.get(path)
    assert_page(r, 200, *texts)
    assert_page(await visitor.get(path), 200, *texts)
    assert_page(await visitor.head(path), 200)
    assert await state(world, request_id) == before
    return r.text


async def post(visitor: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    return await visitor.post(path, data=form)
