"""Fake intro requests: the open-ask index, optimistic versions, timers, the timeline."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from tests.unit.fakes.store import ERASED, FakeStore, copy_event, copy_request, in_utc
from warmintro.domain.answering import AnswerRecord, answer_records
from warmintro.domain.errors import ConcurrentUpdate, DuplicateRequest
from warmintro.domain.events import Event
from warmintro.domain.intro_request import IntroRequest, NamedAs, Role, State
from warmintro.domain.intro_request import topic_key as key_of_topic
from warmintro.domain.ports import Load, Page


class FakeIntroRequests:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[tuple[uuid.UUID, uuid.UUID], IntroRequest]:
        return self._store.data.requests

    def _open_duplicate(self, request: IntroRequest) -> bool:
        """The unique index on open asks: (workspace, asker, connector, topic) while open."""
        if not request.state.open:
            return False
        key = key_of_topic(request.topic)
        return any(
            other.id != request.id
            and other.workspace_id == request.workspace_id
            and other.state.open
            and other.asker_id == request.asker_id
            and other.connector_id == request.connector_id
            and key_of_topic(other.topic) == key
            for other in self._rows.values()
        )

    def _append_events(self, request: IntroRequest) -> None:
        timeline = self._store.data.events.setdefault((request.workspace_id, request.id), [])
        seen = {e.seq for e in timeline}
        for event in request.events:
            if event.seq in seen:  # the primary key (workspace_id, request_id, seq)
                raise RuntimeError(f"duplicate event seq {event.seq} for {request.id}")
            seen.add(event.seq)
            timeline.append(in_utc(copy_event(event)))

    async def add(self, request: IntroRequest) -> None:
        """Insert with its pending events; raises DuplicateRequest on an open duplicate."""
        if (request.workspace_id, request.id) in self._rows:
            raise RuntimeError(f"intro request {request.id} already stored")
        if self._open_duplicate(request):
            raise DuplicateRequest("an open request for this topic to this connector exists")
        self._rows[(request.workspace_id, request.id)] = in_utc(copy_request(request))
        self._append_events(request)

    async def get(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest | None:
        stored = self._rows.get((workspace_id, request_id))
        return None if stored is None else copy_request(stored)

    async def save(self, request: IntroRequest) -> None:
        """Write changes and pending events if nobody else saved since we read
        (optimistic concurrency on `version`); else raise ConcurrentUpdate."""
        stored = self._rows.get((request.workspace_id, request.id))
        if stored is None or stored.version != request.version:
            raise ConcurrentUpdate()
        if self._open_duplicate(request):
            raise DuplicateRequest(
                "the asker already has an open request for this topic with that connector"
            )
        request.version += 1
        self._rows[(request.workspace_id, request.id)] = in_utc(copy_request(request))
        self._append_events(request)

    async def waiting_on(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[uuid.UUID]:
        return [
            r.id
            for (ws, _), r in self._rows.items()
            if ws == workspace_id
            and (
                (r.state is State.AWAITING_CONNECTOR and r.connector_id == person_id)
                or (r.state is State.AWAITING_EXPERT and r.expert_id == person_id)
            )
        ]

    async def reschedule(self, request: IntroRequest) -> None:
        """The fake's timers are the stored requests' own next_due(); nothing to write."""

    async def claim_due(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        due = sorted(
            (r.next_due(), key) for key, r in self._rows.items() if (d := r.next_due()) and d <= now
        )
        return [key for _, key in due[:limit]]

    async def find_open(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> uuid.UUID | None:
        for request in self._rows.values():
            if (
                request.workspace_id == workspace_id
                and request.state.open
                and request.asker_id == asker_id
                and request.connector_id == connector_id
                and key_of_topic(request.topic) == topic_key
            ):
                return request.id
        return None

    async def load(self, workspace_id: uuid.UUID, person_id: uuid.UUID, role: Role) -> Load:
        """A connector holds the asks waiting on them; an expert the consents waiting on them."""
        if role is Role.CONNECTOR:
            held = [
                r
                for r in self._rows.values()
                if r.workspace_id == workspace_id
                and r.connector_id == person_id
                and r.state is State.AWAITING_CONNECTOR
            ]
        else:
            held = [
                r
                for r in self._rows.values()
                if r.workspace_id == workspace_id
                and r.expert_id == person_id
                and r.state is State.AWAITING_EXPERT
            ]
        deadlines = [r.deadline_at for r in held if r.deadline_at is not None]
        return Load(count=len(held), earliest_deadline=min(deadlines, default=None))

    async def find_open_with_load(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> tuple[uuid.UUID | None, Load]:
        return (
            await self.find_open(workspace_id, asker_id, connector_id, topic_key),
            await self.load(workspace_id, connector_id, Role.CONNECTOR),
        )

    async def loads(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], role: Role
    ) -> dict[uuid.UUID, Load]:
        found = {p: await self.load(workspace_id, p, role) for p in person_ids}
        return {p: load for p, load in found.items() if load.count}

    async def answer_records(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], *, recent: int
    ) -> dict[uuid.UUID, AnswerRecord]:
        if not person_ids:
            return {}
        stored = self._store.data.events
        asks = []
        for person in person_ids:
            theirs = sorted(
                (
                    r.id
                    for r in self._rows.values()
                    if r.workspace_id == workspace_id
                    and person in {r.connector_id, *r.past_connector_ids}
                ),
                reverse=True,
            )[:recent]
            asks += [
                (person, e)
                for request_id in theirs
                for e in stored.get((workspace_id, request_id), [])
            ]
        return answer_records(asks, person_ids)

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        person_id: uuid.UUID | None,
        role: Role | None,
        state: State | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[IntroRequest]:
        """Newest first (ids are time-ordered); `after` is the last id of the previous page."""
        found = []
        for request in self._rows.values():
            if request.workspace_id != workspace_id:
                continue
            if person_id is not None:
                if person_id not in request.parties():
                    continue
                if role is not None and request.role_of(person_id) is not role:
                    continue
            if state is not None and request.state is not state:
                continue
            if after is not None and request.id >= after:
                continue
            found.append(request)
        found.sort(key=lambda r: r.id, reverse=True)
        items = [copy_request(r) for r in found[:limit]]
        return Page(items, items[-1].id if len(found) > limit else None)

    async def events(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> list[Event]:
        timeline = self._store.data.events.get((workspace_id, request_id), [])
        return [copy_event(e) for e in sorted(timeline, key=lambda e: e.seq)]

    async def scrub_person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        """Remove free text the person wrote (blurbs, notes) and the address and name a
        connector typed for them, from requests and events."""
        for key, request in list(self._rows.items()):
            if request.workspace_id == workspace_id and request.asker_id == person_id:
                self._rows[key] = replace(request, topic=ERASED, message=ERASED)
        for (ws, _), timeline in self._store.data.events.items():
            if ws != workspace_id:
                continue
            for i, event in enumerate(timeline):
                if event.actor_id == person_id and event.data.get("note"):
                    timeline[i] = replace(event, data={**event.data, "note": ERASED})
        erased = NamedAs(ERASED, ERASED)
        for key, request in list(self._rows.items()):
            if request.workspace_id != workspace_id:
                continue
            if request.expert_id == person_id and request.expert_named_as is not None:
                self._rows[key] = request = replace(request, expert_named_as=erased)
            if request.connector_id == person_id and request.connector_named_as is not None:
                self._rows[key] = replace(request, connector_named_as=erased)
        for (ws, _), timeline in self._store.data.events.items():
            for i, event in enumerate(timeline):
                named = ("expert_id", "person_id", "connector_id")
                about = str(person_id) in (event.data.get(k) for k in named)
                if ws == workspace_id and about and event.data.get("named_as"):
                    data = {**event.data, "named_as": erased.as_data()}
                    timeline[i] = replace(event, data=data)
