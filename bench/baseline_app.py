"""The bare baseline for bench/api_bench.py: one FastAPI endpoint, one raw query."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

URL = os.environ["BASELINE_DB"]
state: dict[str, Any] = {}


class Row(BaseModel):
    topic: str


@asynccontextmanager
async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
    if URL.startswith("sqlite"):
        db = await aiosqlite.connect(URL.removeprefix("sqlite:///"))
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, topic TEXT)")
        await db.executemany("INSERT INTO rows (topic) VALUES (?)", [("seed",)] * 50)
        await db.commit()
        state["sqlite"] = db
    else:
        pool = await asyncpg.create_pool(URL, min_size=10, max_size=20)
        await pool.execute("CREATE TABLE IF NOT EXISTS rows (id serial PRIMARY KEY, topic text)")
        await pool.executemany("INSERT INTO rows (topic) VALUES ($1)", [("seed",)] * 50)
        state["pool"] = pool
    yield
    if "pool" in state:
        await state["pool"].close()
    else:
        await state["sqlite"].close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/rows")
async def insert(row: Row) -> dict[str, Any]:
    if "pool" in state:
        rid = await state["pool"].fetchval(
            "INSERT INTO rows (topic) VALUES ($1) RETURNING id", row.topic
        )
    else:
        db = state["sqlite"]
        cursor = await db.execute("INSERT INTO rows (topic) VALUES (?)", (row.topic,))
        await db.commit()
        rid = cursor.lastrowid
    return {"id": rid, "topic": row.topic}


@app.get("/rows/{rid}")
async def read(rid: int) -> dict[str, Any]:
    if "pool" in state:
        rec = await state["pool"].fetchrow("SELECT id, topic FROM rows WHERE id = $1", rid)
        return dict(rec) if rec else {}
    async with state["sqlite"].execute("SELECT id, topic FROM rows WHERE id = ?", (rid,)) as c:
        r = await c.fetchone()
    return {"id": r[0], "topic": r[1]} if r else {}
