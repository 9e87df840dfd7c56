"""The `warmintro` command line, run in-process on the test's database:

@pytest.mark.usefixtures("command_line_env")
async def test_...(capsys):
    out = await warmintro(capsys, "api-key", "list", "--workspace", name)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.logs import logging_put_back
from warmintro.api import cli


@pytest.fixture
def command_line_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATABASE_URL", database_url)


async def warmintro(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    with logging_put_back():  # main() configures logging for its process
        await asyncio.to_thread(cli.main, list(argv))
    return capsys.readouterr().out
