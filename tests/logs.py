"""The service's log output, captured as production writes it: one JSON object per
line, configured by the same `configure_logging` the command line calls.

    with captured_logs() as logs:
        ...
    for line in logs.lines(): ...
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from warmintro.infra.logging import QUIET, configure_logging


class CapturedLogs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line as the object it encodes; fails on a line that is not one."""
        parsed = []
        for line in self.text.splitlines():
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AssertionError(f"a log line that is not JSON: {line!r}") from exc
            assert isinstance(value, dict), line
            parsed.append(value)
        return parsed

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == event]


@contextmanager
def logging_put_back() -> Iterator[None]:
    """Whatever `configure_logging` does meanwhile (a test that runs the command line
    in-process, `captured_logs`) is undone afterwards: the next test logs as before."""
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.reset_defaults()


@contextmanager
def captured_logs(level: str = "INFO") -> Iterator[CapturedLogs]:
    """Everything logged meanwhile at `level` or above, in the production (JSON)
    format; the logging configuration is put back afterwards."""
    logs = CapturedLogs()
    with logging_put_back():
        configure_logging("json", level, logs.stream)
        yield logs
