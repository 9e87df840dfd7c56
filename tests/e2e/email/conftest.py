"""The email suite runs the worker, which drains every workspace at once (and fires
every timer when a test moves the clock), so it works on a database of its own
per backend, and each test starts with no pending mail and no timers."""

from __future__ import annotations

from tests.databases import database_of_its_own

database_url, container = database_of_its_own("email")
