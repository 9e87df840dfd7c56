"""Logs: every line in one format, whoever writes it (our modules, uvicorn, the
libraries): JSON lines in production, readable lines in development.

Everything logs through the standard library, and one handler on the root logger
renders each record with structlog's `ProcessorFormatter`. A line's fields are the
record's `extra` (`log.info("email %s", outcome, extra={...})`), so they reach any
handler (the tests' `caplog` too) as record attributes, and the renderer as keys.
The request id bound for an HTTP request (`api/request_ids.py`, structlog's
contextvars) is added to every line written while that request is served.

No line carries a credential or what an email says: the email-link token is cut
from access-log paths here; the relays log ids, a recipient's domain and error
classes, never an address, a link or a body.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO, Any, Literal

import structlog
from structlog.typing import EventDict, Processor

LogFormat = Literal["json", "console"]

QUIET = {"alembic": logging.WARNING, "httpx": logging.WARNING, "httpcore": logging.WARNING}
"""Libraries whose INFO lines are noise, or worse: httpx logs every URL it requests,
and a webhook URL may carry its receiver's secret."""


class HideLinkTokens(logging.Filter):
    """Access logs show /a/… for email-link pages: the token is a credential. (Any
    path: a mistyped //a/{token} carries a live token as well.)"""

    _TOKEN = re.compile(r"/a/[^/?#\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and "/a/" in str(args[2]):
            record.args = (*args[:2], self._TOKEN.sub("/a/…", str(args[2])), *args[3:])
        return True


def _access_fields(logger: Any, name: str, event: EventDict) -> EventDict:
    """uvicorn's access line as fields too: method, path (its token already cut by
    `HideLinkTokens`) and status. Other records' arguments are in their message."""
    args = event.pop("positional_args", ())
    if event.get("logger") == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        event.update(client=args[0], method=args[1], path=args[2], status=args[4])
    return event


def _drop_uvicorn_colors(logger: Any, name: str, event: EventDict) -> EventDict:
    event.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
    return event


PRE_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _access_fields,
    _drop_uvicorn_colors,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
"""What every record gains before it is rendered."""


def formatter(log_format: LogFormat, colors: bool = False) -> logging.Formatter:
    """The one formatter: a JSON object per line, or structlog's console lines."""
    renderer: Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(default=str)
        last: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        last = [structlog.dev.ConsoleRenderer(colors=colors)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=PRE_CHAIN,
        pass_foreign_args=True,  # for _access_fields
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )


class _Lines(logging.Handler):
    """Writes each formatted record as one line to `stream`, or to whatever
    `sys.stderr` is at that moment (a test may have swapped it since)."""

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = self._stream or sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def configure_logging(
    log_format: LogFormat, level: str = "INFO", stream: IO[str] | None = None
) -> None:
    """Every record at `level` or above, to `stream` (standard error by default) in
    `log_format`. The command line calls it once per process; calling it again
    replaces what it installed rather than adding to it."""
    colors = log_format == "console" and (stream or sys.stderr).isatty()
    handler = _Lines(stream)
    handler.setFormatter(formatter(log_format, colors))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Lines)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinkTokens) for f in access.filters):
        access.addFilter(HideLinkTokens())
    # A structlog logger, should anyone use one, goes the same way as the rest.
    structlog.configure(
        processors=[structlog.stdlib.render_to_log_kwargs],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
