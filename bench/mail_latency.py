"""Decision to email: how long after an expert's "accept" returns the introduction
arrives at a real SMTP server, with the worker in `serve` and in a process of its
own (`serve --no-worker` plus `warmintro worker`), on PostgreSQL.

Each decision has its own asker, connector and expert, set up through the API
first (ask, propose); once their mail has arrived, the decisions are taken one at
a time, and each waits for the email to its asker.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench import servers
from bench.api import Api
from bench.databases import Database
from bench.smtp_sink import Sink

SETUPS = ("in-process (serve)", "separate worker")


async def decision_to_email(
    db: Database, key: str, sink: Sink, logs: Path, setup: str, decisions: int
) -> list[float]:
    """Latencies in ms, one per decision."""
    env = db.env(**sink.env())
    in_process = setup == SETUPS[0]
    server = await servers.serve(f"serve-{len(setup)}", env, logs, worker=in_process)
    worker = None
    if not in_process:
        worker = servers.Process("mail-worker", servers.warmintro("worker"), env, logs)
    api = Api(server.base, key)
    try:
        await api.roomy_budgets()
        scenes = [await _propose(api, i, setup) for i in range(decisions)]
        await _quiet(sink)
        latencies = []
        for request_id, expert, asker_email in scenes:
            seen = sink.count()
            await api.call("POST", f"/v1/intro-requests/{request_id}/accept", as_person=expert)
            returned = time.perf_counter()
            arrived = await _arrival(sink, seen, asker_email)
            latencies.append(max(0.0, arrived - returned) * 1000)
        return latencies
    finally:
        await api.close()
        server.stop()
        if worker:
            worker.stop()


async def _propose(api: Api, i: int, setup: str) -> tuple[str, str, str]:
    tag = "inproc" if setup == SETUPS[0] else "worker"
    asker = await api.person(f"Mail Asker {tag} {i}")
    connector = await api.person(f"Mail Connector {tag} {i}")
    expert = await api.person(f"Mail Expert {tag} {i}", expertise=["pricing"])
    await api.connect(connector, expert)
    request_id = await api.ask(asker, connector, "Pricing advice")
    propose = {"expert_id": expert}
    path = f"/v1/intro-requests/{request_id}/propose"
    await api.call("POST", path, as_person=connector, json=propose)
    return request_id, expert, await api.email_of(asker)


async def _quiet(sink: Sink, still: float = 0.5, longest: float = 60) -> None:
    """Wait until no mail has arrived for `still` seconds (the setup's mail is out)."""
    deadline = time.perf_counter() + longest
    count = -1
    while time.perf_counter() < deadline and sink.count() != count:
        count = sink.count()
        await asyncio.sleep(still)


async def _arrival(sink: Sink, seen: int, address: str, longest: float = 30) -> float:
    """When the first message to `address` after the first `seen` ones arrived."""
    deadline = time.perf_counter() + longest
    while time.perf_counter() < deadline:
        for arrival in sink.arrivals()[seen:]:
            if address.lower() in arrival.recipients:
                return arrival.at
        await asyncio.sleep(0.002)
    raise RuntimeError(f"no email to the asker within {longest:.0f} s of the decision")
