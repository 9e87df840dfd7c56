"""How log lines look: JSON in production, readable in development, as LOG_FORMAT
says otherwise; every logger's lines in the one format, with their fields."""

from __future__ import annotations

import json
import logging

import pytest

from tests.logs import captured_logs
from tests.settings import SettingsWithoutEnvFile
from warmintro.infra.logging import formatter


def production(**more: str) -> SettingsWithoutEnvFile:
    return SettingsWithoutEnvFile(
        environment="production",
        secret_key="k" * 40,
        public_base_url="https://intros.example.org",
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def _no_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "LOG_FORMAT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def test_json_in_production_readable_in_development_unless_log_format_says() -> None:
    assert SettingsWithoutEnvFile().logs_as == "console"
    assert production().logs_as == "json"
    assert SettingsWithoutEnvFile(log_format="json").logs_as == "json"
    assert production(log_format="console").logs_as == "console"


def test_log_level_is_a_level_name_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert SettingsWithoutEnvFile().log_level == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="log_level"):
        SettingsWithoutEnvFile()


def _record(name: str, msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_a_line_carries_its_fields_in_either_format() -> None:
    record = _record("warmintro.relay", "email %s", "sent", outbox_id="o-1", attempt=2)
    line = json.loads(formatter("json").format(record))
    assert line["event"] == "email sent" and (line["outbox_id"], line["attempt"]) == ("o-1", 2)
    assert (line["level"], line["logger"]) == ("info", "warmintro.relay") and line["timestamp"]

    readable = formatter("console").format(record)
    assert "email sent" in readable and "outbox_id=o-1" in readable and "attempt=2" in readable


def test_uvicorns_access_line_is_one_of_ours_without_the_link_token() -> None:
    with captured_logs() as logs:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "POST", "/a/eyJ.secret.sig?x=1", "1.1", 200
        )
    [line] = logs.lines()
    assert (line["method"], line["path"], line["status"]) == ("POST", "/a/…?x=1", 200)
    assert "secret" not in logs.text and "color_message" not in line
