"""Which errors say the database is out of reach for a moment (the API answers 503
with Retry-After, the leased queues wait) and which are about the work itself."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from warmintro.infra.database import unavailable


def wrapped(orig: Exception, invalidated: bool = False) -> DBAPIError:
    """A DBAPIError as SQLAlchemy raises it: from the driver's error."""
    try:
        try:
            raise orig
        except Exception as exc:
            raise DBAPIError("SELECT 1", {}, exc, connection_invalidated=invalidated) from exc
    except DBAPIError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        OSError(113, "No route to host"),
        OSError("Multiple exceptions: [Errno 111] ..., [Errno 99] ..."),
        TimeoutError(),
        wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed")),
        wrapped(asyncpg.InterfaceError("connection is closed")),
        wrapped(ValueError("anything"), invalidated=True),
    ],
    ids=repr,
)
def test_an_unreachable_or_restarting_database_is_unavailable(error: Exception) -> None:
    assert unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        FileNotFoundError(2, "No such file or directory"),
        wrapped(asyncpg.UniqueViolationError("duplicate key")),
        IntegrityError("INSERT", {}, Exception("constraint")),
    ],
    ids=repr,
)
def test_an_error_about_the_work_itself_is_not(error: Exception) -> None:
    assert not unavailable(error)
