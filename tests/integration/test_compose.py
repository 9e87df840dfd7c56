"""docker-compose.yml runs as it stands, in production mode: one image built once
and run as a user of its own, a required SECRET_KEY and PUBLIC_BASE_URL, the
migration as a one-off the API and the workers wait for, and healthchecks that
say something true. Read as YAML here; `docker compose config` checks it too
where that command exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.settings import SettingsWithoutEnvFile

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
IMAGE = "warmintro:local"
APP = ("migrate", "api", "worker")
REQUIRED = re.compile(r"\$\{(?P<name>\w+):\?[^}]+\}")
SUBSTITUTION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}")
PRODUCTION = {"SECRET_KEY": "s" * 48, "PUBLIC_BASE_URL": "https://intros.example.org"}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return found


def interpolated(value: str, env: dict[str, str]) -> str:
    """`${NAME}`, `${NAME:-default}` and `${NAME:?error}` as compose reads them."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op == "?":
            raise LookupError(f"{name}: {arg}")
        return arg if op == "-" else ""

    return SUBSTITUTION.sub(one, value)


def test_one_image_is_built_once_and_every_app_service_runs_it(services: dict[str, Any]) -> None:
    assert [name for name, s in services.items() if "build" in s] == ["api"]
    assert all(services[name]["image"] == IMAGE for name in APP)


def test_the_app_runs_in_production_and_will_not_start_without_a_secret_or_address(
    services: dict[str, Any],
) -> None:
    for name in APP:
        env = services[name]["environment"]
        assert env["ENVIRONMENT"] == "production", name
        assert {m["name"] for m in map(REQUIRED.fullmatch, env.values()) if m} == {
            "SECRET_KEY",
            "PUBLIC_BASE_URL",
        }, name
        with pytest.raises(LookupError, match="SECRET_KEY"):
            interpolated(env["SECRET_KEY"], {})
        given = {k: interpolated(str(v), PRODUCTION) for k, v in env.items()}
        settings = SettingsWithoutEnvFile.model_validate({k.lower(): v for k, v in given.items()})
        assert not settings.is_development and settings.email_backend == "smtp"
        assert settings.logs_as == "json" and not settings.allow_private_webhooks


def test_the_migration_runs_once_before_the_api_and_the_workers(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["warmintro", "migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        waits_for = services[name]["depends_on"]["migrate"]["condition"]
        assert waits_for == "service_completed_successfully", name
        assert "migrate" not in services[name]["command"], name


def test_the_dockerfile_runs_the_service_as_a_user_of_its_own() -> None:
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), users


def _healthcheck(service: dict[str, Any]) -> str:
    """The Python one-liner of a `CMD python -c …` healthcheck (the slim image has
    no curl)."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    code: str = test[3]
    return code


def test_the_workers_healthcheck_reads_the_heartbeat_their_command_writes(
    services: dict[str, Any], tmp_path: Path
) -> None:
    worker = services["worker"]
    command = worker["command"]
    beat = command[command.index("--heartbeat") + 1]
    code = _healthcheck(worker).replace(beat, str(tmp_path / "alive"))
    assert beat in _healthcheck(worker) and beat not in code

    def healthy() -> bool:
        return subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0

    assert not healthy(), "no heartbeat yet"
    (tmp_path / "alive").touch()
    assert healthy()
    stale = time.time() - 61
    os.utime(tmp_path / "alive", (stale, stale))
    assert not healthy(), "a worker silent for a minute"


def test_the_apis_healthcheck_asks_readyz(services: dict[str, Any]) -> None:
    code = _healthcheck(services["api"])
    assert "http://127.0.0.1:8000/readyz" in code
    command = services["api"]["command"]
    assert command[:2] == ["warmintro", "serve"] and "--no-worker" in command
    assert command[command.index("--port") + 1] == "8000"


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="docker compose is not installed here",
)
def test_docker_compose_accepts_the_file_and_refuses_it_without_a_secret() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PUBLIC_BASE_URL")}
    # No .env: what a newcomer has before they set anything.
    config = ["docker", "compose", "-f", str(COMPOSE), "--env-file", os.devnull, "config", "-q"]
    ok = subprocess.run(config, env={**base, **PRODUCTION}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    missing = {**base, "PUBLIC_BASE_URL": PRODUCTION["PUBLIC_BASE_URL"]}
    refused = subprocess.run(config, env=missing, capture_output=True, text=True)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
