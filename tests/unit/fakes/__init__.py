"""In-memory fakes of the ports in `warmintro.domain.ports`, for the unit tests.

They keep the promises the port docstrings make, like the SQL adapters do: the
unit of work rolls back unless committed, `add` refuses an open duplicate ask,
`save` refuses a stale version, ids double as the keyset order. The repository
contract in tests/integration/repositories runs on them as on SQLite and
PostgreSQL, and mypy checks that each one satisfies its protocol.
"""

from tests.unit.fakes.intro_requests import FakeIntroRequests
from tests.unit.fakes.links import FakeActionLinks
from tests.unit.fakes.matching import FakePeopleMatching
from tests.unit.fakes.messages import FakeOutbox, FakeProviderEvents, FakeWebhooks
from tests.unit.fakes.people import FakeApiKeys, FakeConnections, FakePeople, FakeWorkspaces
from tests.unit.fakes.retention import FakeRetention
from tests.unit.fakes.store import Counters, FakeStore, ProviderEvent, QueuedEmail, StoredData
from tests.unit.fakes.tokens import (
    FakeActionTokenCodec,
    FakeAddressCheck,
    FakeEmailAddresses,
    FakeMemberTokenCodec,
)
from tests.unit.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory

__all__ = [
    "Counters",
    "FakeActionLinks",
    "FakeActionTokenCodec",
    "FakeAddressCheck",
    "FakeApiKeys",
    "FakeConnections",
    "FakeEmailAddresses",
    "FakeIntroRequests",
    "FakeMemberTokenCodec",
    "FakeOutbox",
    "FakePeople",
    "FakePeopleMatching",
    "FakeProviderEvents",
    "FakeRetention",
    "FakeStore",
    "FakeUnitOfWork",
    "FakeUnitOfWorkFactory",
    "FakeWebhooks",
    "FakeWorkspaces",
    "ProviderEvent",
    "QueuedEmail",
    "StoredData",
]
