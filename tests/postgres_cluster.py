"""A PostgreSQL server of the test's own, to stop and restart at will.

The shared server (WARMINTRO_TEST_POSTGRES) serves every other test, so a test
that takes PostgreSQL down starts its own: `initdb` in a temporary directory
(as the `postgres` user when run as root, since initdb refuses root), then
`pg_ctl` on a free loopback port with its socket in that directory, trust
authentication, no other address. Without PostgreSQL's binaries the test is
skipped, saying why, unless WARMINTRO_REQUIRE_POSTGRES=1 makes that a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.databases import REQUIRE_PG
from tests.e2e.servers import free_port


def _binaries() -> Path | None:
    """The directory with initdb and pg_ctl: on PATH, or Debian's newest."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(debian[-1]).parent if debian else None


def _major(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


class PostgresCluster:
    """One server on 127.0.0.1:`port`, its data and socket under `directory`."""

    def __init__(self, binaries: Path, directory: Path) -> None:
        self.binaries = binaries
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {args[0]} failed: {done.stdout}{done.stderr}")

    def _ctl(self, action: str, *args: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")
        self._run("pg_ctl", action, "-D", str(self.data), "-l", log, "-w", "-o", options, *args)

    def create(self) -> None:
        if self._as_postgres:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.directory, postgres.pw_uid, postgres.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """Stop with `-m fast` (open sessions are cut off, committed work is kept),
        then start again; returns once it accepts connections."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running server of its own; stopped and removed afterwards."""
    binaries = _binaries()
    if binaries is None:
        reason = "no PostgreSQL binaries (initdb) to start a server of the test's own"
        if REQUIRE_PG:
            pytest.fail(f"WARMINTRO_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="warmintro-pg-"))
    cluster = PostgresCluster(binaries, directory)
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        with suppress(RuntimeError):  # never started, or already down
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
