"""The person an asker hopes to meet (`target_id`), kept in the loop.

An ask may name a target: someone in particular the asker hopes to meet. The
asker chose to tell their connector whom, so every connector who holds the ask
reads "Ada hopes to meet Jane Doe" (name and headline, never an address), and
the target comes first among the connector's suggestions whenever the connector
knows them. The expert asked is told they were asked for by name only when they
are the target; anyone else asked is not told whom the asker hoped for.

Ranking by topic (`suggestions.rank_suggestions`) knows nothing of targets: the
target is put first after it, by `target_first`, so however the topic ranking is
done, the target is there even when they match none of the topic's words.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Connection, Person
from warmintro.domain.ports import ConnectionRepository, PersonRepository
from warmintro.domain.suggestions import Suggestion


def target_suggestion(
    request: IntroRequest, connection: Connection | None, person: Person | None, now: datetime
) -> Suggestion | None:
    """The target as a suggestion to the current connector: only when the connector
    knows them (their connection) and they may be asked like any suggestion (not a
    party to the request, not opted out, bounced, erased or snoozed). A target who
    matches nothing of the topic scores 0: they lead because the asker named them."""
    if request.target_id is None or connection is None or person is None:
        return None
    ours = (connection.person_id, connection.other_id) == (request.connector_id, person.id)
    if not ours or person.id != request.target_id or person.id in request.parties():
        return None
    if not person.reachable() or person.snoozed(now):
        return None
    return Suggestion(person, connection.strength, 0.0, target=True)


def target_first(
    ranked: list[Suggestion], target: Suggestion | None, limit: int
) -> list[Suggestion]:
    """The suggestions with the target first (ranked by the topic too, they keep
    that score and the tags it matched), then the others in their order; at most
    `limit`."""
    if target is None:
        return ranked[:limit]
    same = next((s for s in ranked if s.person.id == target.person.id), None)
    first = replace(same, target=True) if same is not None else target
    return [first, *(s for s in ranked if s.person.id != target.person.id)][:limit]


async def known_target(
    connections: ConnectionRepository,
    people: PersonRepository,
    request: IntroRequest,
    now: datetime,
) -> Suggestion | None:
    """The target as the current connector may be offered them, read on its own (two
    lookups by key), so it does not depend on the topic ranking's candidates."""
    if request.target_id is None:
        return None
    ws = request.workspace_id
    connection = await connections.between(ws, request.connector_id, request.target_id)
    if connection is None:
        return None
    person = await people.get(ws, request.target_id)
    return target_suggestion(request, connection, person, now)


def target_named_to(request: IntroRequest, reader_id: uuid.UUID) -> uuid.UUID | None:
    """Whom a connector's email or page names as the person the asker hopes to
    meet: the target, unless the reader is the target themself (an ask forwarded to
    them)."""
    return request.target_id if request.target_id != reader_id else None


def asked_for_by_name(request: IntroRequest) -> bool:
    """Whether the expert asked is the very person the asker hoped to meet: their
    consent ask says so. Anyone else asked is not told about the target."""
    return request.expert_id is not None and request.expert_id == request.target_id
