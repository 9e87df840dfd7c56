"""The pages behind email links. Like the email suite, this one runs the worker,
which drains every workspace, so it works on a database of its own and starts
each test with an empty queue."""

from __future__ import annotations

from tests.databases import database_of_its_own
from tests.e2e.pages import chromium

database_url, container = database_of_its_own("pages")
browser = chromium.browser
