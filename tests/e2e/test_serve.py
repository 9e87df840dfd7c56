"""The real `warmintro serve`, started as a developer starts it on a port of their
choosing without PUBLIC_BASE_URL: the links in its emails point at that port, and
its access log names no link token. And the real `warmintro worker`, which serves
its own `/metrics` when given a port."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import create_postgres_database, drop_postgres_database
from tests.e2e.servers import free_port
from tests.scrape import value

START_SECONDS = 15.0
WARMINTRO = [sys.executable, "-m", "warmintro.api.cli"]


def _environment(directory: Path) -> dict[str, str]:
    """A development configuration with no PUBLIC_BASE_URL, whatever the caller has set
    (the command runs in an empty directory, so no `.env` is read either)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "ENVIRONMENT")}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'warmintro.db'}",
        EMAIL_BACKEND="console",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`warmintro serve --port <free>` on 127.0.0.1: its address, an API key, its log."""
    env = _environment(tmp_path)
    key = _new_workspace(env, tmp_path, "Northwind Alumni")
    with _serving(env, tmp_path, ["--host", "127.0.0.1"], _answers) as (address, _, log):
        yield address, key, log


def _new_workspace(env: dict[str, str], directory: Path, name: str) -> str:
    """`warmintro workspace create NAME --quiet`: the new workspace's API key."""
    return subprocess.run(
        [*WARMINTRO, "workspace", "create", name, "--quiet"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
        check=True,
    ).stdout.strip()


@contextlib.contextmanager
def _serving(
    env: dict[str, str],
    directory: Path,
    args: list[str],
    ready: Callable[[str, Path], bool],
    seconds: float = START_SECONDS,
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`warmintro serve --port <free> ARGS` until `ready(address, log)`: its address,
    its process and its log; stopped at the end."""
    port = free_port()
    log = directory / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*WARMINTRO, "serve", "--port", str(port), *args],
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while not ready(address, log):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"serve did not start:\n{log.read_text()}"
            time.sleep(0.05)
        yield address, server, log
    finally:
        server.terminate()
        server.wait(timeout=START_SECONDS)


def _answers(address: str, _log: Path) -> bool:
    try:
        return httpx.get(f"{address}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_on_another_port_writes_links_to_that_port_and_logs_no_token(
    served: tuple[str, str, Path],
) -> None:
    address, key, log = served
    with httpx.Client(base_url=address, headers={"Authorization": f"Bearer {key}"}) as api:
        ids = [
            api.post("/v1/people", json={"email": f"{n}@example.com", "name": n}).json()["id"]
            for n in ("ann", "cat")
        ]
        r = api.post(
            "/v1/intro-requests",
            json={
                "asker_id": ids[0],
                "connector_id": ids[1],
                "topic": "pricing",
                "message": "How do I price a B2B product?",
            },
        )
        assert r.status_code == 201, r.text
        links: list[str] = []
        deadline = time.monotonic() + 5
        while not links and time.monotonic() < deadline:
            links = re.findall(r'href="(https?://[^"]*/a/[^"]+)"', api.get("/dev/mailbox").text)
            time.sleep(0.05)
        assert links, "no email with a link reached the dev mailbox"
        assert all(link.startswith(f"{address}/a/") for link in links), links
        page = httpx.get(links[0])
        assert page.status_code == 200 and "pricing" in page.text
        token = links[0].rsplit("/a/", 1)[1]
        for mistyped in (f"{address}//a/{token}", f"{address}/a/{token}?utm=x"):
            httpx.get(mistyped)

    logged = log.read_text()
    assert f"links in emails point to {address}" in logged
    assert '"GET /a/… HTTP/1.1" 200' in logged, logged
    assert '"GET //a/… HTTP/1.1"' in logged and '"GET /a/…?utm=x HTTP/1.1"' in logged, logged
    assert token not in logged


def test_serve_walks_the_young_generation_rarely_while_it_serves_lists(
    served: tuple[str, str, Path],
) -> None:
    # Lists of 50 people in flight at once hold some thousands of objects until
    # their answers are sent. At CPython's default the collector walked them again
    # and again; `tune_garbage_collector` lets the young generation grow first.
    address, key, _ = served
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=address, headers=auth) as api:
        for n in range(50):
            r = api.post("/v1/people", json={"email": f"p{n}@example.com", "name": f"P {n}"})
            assert r.status_code == 201, r.text
        before = _young_collections(api.get("/metrics").text)

    async def lists() -> None:
        async with httpx.AsyncClient(base_url=address, headers=auth, timeout=30) as api:
            for _ in range(LISTS // AT_ONCE):
                pages = await asyncio.gather(
                    *(api.get("/v1/people", params={"limit": 50}) for _ in range(AT_ONCE))
                )
                assert all(len(page.json()["items"]) == 50 for page in pages)

    asyncio.run(lists())
    walks = _young_collections(httpx.get(f"{address}/metrics").text) - before
    assert walks < LISTS / 10, f"{walks:.0f} walks of the young generation for {LISTS} lists"


LISTS = 320
AT_ONCE = 16


def _young_collections(scraped: str) -> float:
    return value(scraped, "python_gc_collections_total", generation="0")


def test_serve_runs_on_asyncios_loop_with_httptools_where_uvloop_is_installed(
    tmp_path: Path,
) -> None:
    # uvicorn takes uvloop whenever it can import it; under load uvloop kept new
    # connections waiting up to a second (SERVED_ON says why).
    assert importlib.util.find_spec("uvloop") is not None, "the dev dependencies install uvloop"
    with _serving(_environment(tmp_path), tmp_path, [], _answers) as (_, server, log):
        assert _loaded(server.pid) == {"httptools"}, log.read_text()


def _loaded(pid: int) -> set[str]:
    """Which of uvloop and httptools the process has loaded, from its memory map."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in ("uvloop", "httptools") if f"/{name}/" in maps}


def test_a_separate_worker_serves_its_own_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    port = free_port()
    worker = subprocess.Popen(
        [*WARMINTRO, "worker", "--metrics-port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        scraped = ""
        deadline = time.monotonic() + START_SECONDS
        while 'stage="email"' not in scraped:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, f"no worker pass in the metrics:\n{scraped}"
            with contextlib.suppress(httpx.TransportError):
                scraped = httpx.get(f"{address}/metrics", timeout=1).text
            time.sleep(0.05)
        assert "warmintro_outbox_pending 0.0" in scraped
        assert 'warmintro_worker_last_success_timestamp_seconds{stage="timers"}' in scraped
        assert httpx.get(f"{address}/v1/people").status_code == 404, "metrics, nothing else"
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=START_SECONDS)[0]
    assert worker.returncode == 0, output
    assert f"metrics at {address}/metrics" in output


def _children(pid: int) -> list[int]:
    return [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent_of(p) == pid
    ]


def _parent_of(proc: Path) -> int | None:
    try:
        # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_serve_with_workers_runs_that_many_processes_on_postgres(tmp_path: Path) -> None:
    url = asyncio.run(create_postgres_database())
    env = {**_environment(tmp_path), "DATABASE_URL": url}
    try:
        subprocess.run([*WARMINTRO, "migrate"], env=env, check=True, capture_output=True)
        key = _new_workspace(env, tmp_path, "Northwind")

        def both_started(address: str, log: Path) -> bool:
            return log.read_text().count("Application startup complete") >= 2

        serving = _serving(env, tmp_path, ["--workers", "2"], both_started, START_SECONDS * 2)
        with serving as (address, server, log):
            children = _children(server.pid)
            assert len(children) >= 2, log.read_text()
            loaded = [_loaded(child) for child in children]
            assert sum("httptools" in each for each in loaded) >= 2, loaded
            assert not any("uvloop" in each for each in loaded), loaded
            auth = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=address, headers=auth) as api:
                for n in range(6):  # new connections: each process takes some
                    r = api.post("/v1/people", json={"email": f"p{n}@example.com", "name": "P"})
                    assert r.status_code == 201, r.text
                assert len(api.get("/v1/people", params={"limit": 10}).json()["items"]) == 6
    finally:
        asyncio.run(drop_postgres_database(url))


def test_serve_with_workers_refuses_the_embedded_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [*WARMINTRO, "serve", "--workers", "2"],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )
    assert done.returncode != 0
    assert "--workers needs PostgreSQL" in done.stderr
