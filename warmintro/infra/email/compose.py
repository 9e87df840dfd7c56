"""Turning an outbox row into an email a person reads.

Rendering happens at send time from current data: the outbox row holds only
references, so an erased person's details never wait in a queue, and links are
minted fresh for each send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.action_links import Purpose
from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import IntroRequest, NamedAs
from warmintro.domain.people import Person
from warmintro.domain.ports import Address, Clock, OutgoingEmail
from warmintro.domain.suggestions import rank_suggestions
from warmintro.domain.targets import asked_for_by_name, known_target, target_first, target_named_to
from warmintro.domain.views import project_event, viewer_of
from warmintro.infra.action_links import LinkIssuer
from warmintro.infra.repositories.connections import SqlConnections
from warmintro.infra.repositories.intro_requests import SqlIntroRequests
from warmintro.infra.repositories.matching import SqlPeopleMatching
from warmintro.infra.repositories.people import SqlPeople
from warmintro.infra.repositories.workspaces import SqlWorkspaces

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"

REASONS = {
    "busy": "they are too busy right now",
    "not_a_fit": "they don't think they are the right person",
    "not_now": "the timing is not right",
    "other": "another reason",
}
RATINGS = {"yes": "yes, it helped", "somewhat": "it helped somewhat", "no": "it did not help"}

# Which link an email carries, and whose email its replies go to. Every email to the
# asker alone links to their status page; a message to several carries nobody's link.
LINKS: dict[str, Purpose] = {
    "connector_ask": Purpose.CONNECTOR,
    "connector_reminder": Purpose.CONNECTOR,
    "connector_expert_declined": Purpose.CONNECTOR,
    "connector_expert_unreachable": Purpose.CONNECTOR,
    "expert_consent": Purpose.EXPERT,
    "expert_reminder": Purpose.EXPERT,
    "asker_ask_sent": Purpose.ASKER,
    "asker_passed_on": Purpose.ASKER,
    "asker_not_this_time": Purpose.ASKER,
    "asker_expired": Purpose.ASKER,
    "asker_feedback_ask": Purpose.ASKER,
}
CONNECTOR_CHOOSES = frozenset(
    {
        "connector_ask",
        "connector_reminder",
        "connector_expert_declined",
        "connector_expert_unreachable",
    }
)
"""Emails after which the connector chooses whom to ask: they carry suggestions, and
name whom the asker hopes to meet."""
EXPERT_ASKED = frozenset({"expert_consent", "expert_reminder"})
"""Emails that ask the expert: they say so when the asker asked for them by name."""
REPLY_TO: dict[str, str] = {
    "connector_ask": "asker",
    "connector_reminder": "asker",
    "expert_consent": "connector",
    "expert_reminder": "connector",
    "party_cancelled": "asker",
    "connector_thank_you": "asker",
}


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: uuid.UUID
    workspace_id: uuid.UUID
    template: str
    recipient_id: uuid.UUID
    cc_ids: tuple[uuid.UUID, ...]
    also_to_ids: tuple[uuid.UUID, ...]
    request_id: uuid.UUID | None
    event_id: uuid.UUID | None


class Undeliverable(Exception):
    """Nothing to send: the recipient opted out, bounced or was erased, or the
    request is gone. Recorded on the row; never retried."""


class Composer:
    def __init__(self, links: LinkIssuer, clock: Clock, sender: str) -> None:
        self._links = links
        self._clock = clock
        name, email = parseaddr(sender)
        self.sender = Address(email or sender, name)
        self.domain = (email or "warmintro.invalid").rpartition("@")[2] or "warmintro.invalid"
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def sender_for(self, workspace: str) -> Address:
        """Our address, under the community's name: a person decides whether to open an
        email by who it is from, and an unknown sender with links looks like phishing."""
        return Address(self.sender.email, f"{workspace} via {self.sender.name or 'warmintro'}")

    def message_id(self, item: OutboxItem) -> str:
        return f"<{item.id}@{self.domain}>"

    async def compose(self, conn: AsyncConnection, item: OutboxItem) -> OutgoingEmail:
        """The email of one outbox row. Whoever opted out, bounced or was erased is
        left out of its recipients; with nobody left in To there is nothing to send.
        Only a message to one person carries that person's unsubscribe link and the
        RFC 8058 headers: in a shared message anyone could press it for them."""
        people_repo = SqlPeople(conn)
        requests = SqlIntroRequests(conn)
        workspace = await SqlWorkspaces(conn).get(item.workspace_id)
        request = (
            await requests.get(item.workspace_id, item.request_id) if item.request_id else None
        )
        if workspace is None or request is None:
            raise Undeliverable("the request no longer exists")
        wanted = {item.recipient_id, *item.also_to_ids, *item.cc_ids, *request.parties()}
        if request.target_id is not None:
            wanted.add(request.target_id)
        people = await people_repo.get_many(item.workspace_id, wanted)
        to = [
            p
            for i in (item.recipient_id, *item.also_to_ids)
            if (p := people.get(i)) is not None and p.reachable()
        ]
        if not to:
            raise Undeliverable("the recipient opted out, bounced or was erased")
        if item.template in CONNECTOR_CHOOSES and item.recipient_id != request.connector_id:
            # Sent late (retries run for days), it would offer the next connector's
            # contacts and deadline to someone whose link can no longer decide.
            raise Undeliverable("the ask has moved on to another connector")
        history = await requests.events(request.workspace_id, request.id)
        event = next((e for e in history if e.id == item.event_id), None)
        ctx = await self._context(conn, item, workspace.name, request, people, event)
        ctx["to_people"] = [_who(p) for p in to]
        ctx["recipient"] = _who(to[0])
        ctx["connector_note"] = _connector_note(history, request)
        ctx["how_they_know"] = (
            await _how_they_know(conn, request)
            if item.template == "introduction" and not ctx["connector_note"]
            else ""
        )
        ctx["introduced_ago"] = ago(request.introduced_at, self._clock.now())
        ctx["went_to"] = _went_to(event, request, item.recipient_id, people) or ctx["connector"]
        shared = len(to) + len(ctx["copied"]) > 1
        ctx["unsubscribe_url"] = "" if shared else await self._unsubscribe_url(conn, item, to[0])
        subject, text = self.render_text(item.template, ctx)
        html = self._env.get_template(f"{item.template}.html").render(ctx)
        reply_role = REPLY_TO.get(item.template)
        reply = ctx.get(reply_role) if reply_role else None
        unsubscribe = ctx["unsubscribe_url"]
        return OutgoingEmail(
            message_id=self.message_id(item),
            sender=self.sender_for(workspace.name),
            to=Address(to[0].email, to[0].name),
            also_to=tuple(Address(p.email, p.name) for p in to[1:]),
            cc=tuple(Address(p.email, p.name) for p in ctx["copied"]),
            reply_to=Address(reply["email"], reply["name"]) if reply else None,
            subject=subject,
            text=text,
            html=html,
            headers=(
                ()
                if shared
                else (
                    ("List-Unsubscribe", f"<{unsubscribe}>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                )
            ),
            tags=(
                ("outbox_id", str(item.id)),
                ("request_id", str(request.id)),
                ("workspace_id", str(item.workspace_id)),
            ),
        )

    async def _unsubscribe_url(self, conn: AsyncConnection, item: OutboxItem, to: Person) -> str:
        return await self._links.mint(conn, Purpose.UNSUBSCRIBE, item.workspace_id, to.id, None)

    def render_text(self, template: str, ctx: dict[str, Any]) -> tuple[str, str]:
        """(subject, body): the text template's first line is the subject."""
        rendered = self._env.get_template(f"{template}.txt").render(ctx)
        subject, _, body = rendered.partition("\n")
        return " ".join(subject.split()), body.lstrip("\n")

    async def _context(
        self,
        conn: AsyncConnection,
        item: OutboxItem,
        workspace: str,
        request: IntroRequest,
        people: dict[uuid.UUID, Person],
        event: Event | None,
    ) -> dict[str, Any]:
        def who(person_id: uuid.UUID | None) -> dict[str, Any] | None:
            p = people.get(person_id) if person_id else None
            return _who(p) if p else None

        data = event.data if event else {}
        expert = who(request.expert_id)
        if item.template in ("connector_expert_declined", "connector_expert_unreachable"):
            expert = _expert_as_seen(event, request, item.recipient_id, people)
        # Whoever opted out, bounced or was erased is left out of the copy too.
        copied = [p for c in item.cc_ids if (p := people.get(c)) is not None and p.reachable()]
        ctx: dict[str, Any] = {
            "copied": copied,
            "connector_in_copy": any(p.id == request.connector_id for p in copied),
            "workspace": workspace,
            "recipient": who(item.recipient_id),
            "asker": who(request.asker_id),
            "connector": who(request.connector_id),
            "expert": expert,
            "request": {"id": request.id, "topic": request.topic, "message": request.message},
            "forward_note": data.get("note") if event and event.type is EventType.FORWARDED else "",
            "proposal_note": data.get("note", "") if item.template == "expert_consent" else "",
            "accept_note": data.get("note", "") if item.template == "introduction" else "",
            "decline_note": data.get("note", "") if item.template.endswith("declined") else "",
            "reason_text": REASONS.get(str(data.get("reason")), "no reason given"),
            "rating_text": RATINGS.get(str(data.get("rating")), ""),
            "feedback_note": data.get("note", "") if item.template == "connector_thank_you" else "",
            "suggestions": [],
            "action_url": "",
            "target": None,
            "asked_for_by_name": item.template in EXPERT_ASKED and asked_for_by_name(request),
        }
        if item.template in CONNECTOR_CHOOSES:
            # Each suggestion links to the connector's page opened on that person (the
            # same link with `?expert=`): from the email to asked in two clicks.
            now = self._clock.now()
            ranked = await rank_suggestions(SqlPeopleMatching(conn), request, now, 3)
            target = await known_target(SqlConnections(conn), SqlPeople(conn), request, now)
            ranked = target_first(ranked, target, 3)
            ctx["suggestions"] = [
                {
                    "id": s.person.id,
                    "name": s.person.name,
                    "first_name": s.person.called or "them",
                    "headline": s.person.headline,
                    "target": s.target,
                }
                for s in ranked
            ]
            ctx["target"] = _hoped_for(request, item.recipient_id, people)
            ctx["answer_by"] = _moment(request.deadline_at)
            ctx["no_answer"] = data.get("reason") == "no_answer"
        purpose = LINKS.get(item.template)
        if purpose is not None:
            ctx["action_url"] = await self._links.mint(
                conn, purpose, item.workspace_id, item.recipient_id, request.id
            )
        return ctx


def _hoped_for(
    request: IntroRequest, reader_id: uuid.UUID, people: dict[uuid.UUID, Person]
) -> dict[str, Any] | None:
    """Whom the asker hopes to meet, as a connector's email names them: the name and
    headline the asker chose to show their connector, never the address."""
    target_id = target_named_to(request, reader_id)
    target = people.get(target_id) if target_id else None
    if target is None or target.erased_at is not None:
        return None
    return {"name": target.name, "headline": target.headline}


def _moment(when: datetime | None) -> str:
    """A deadline as people read it: "Saturday 10 January at 09:00 UTC"."""
    if when is None:
        return ""
    when = when.astimezone(UTC)
    return f"{when:%A} {when.day} {when:%B} at {when:%H:%M} UTC"


def _who(p: Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name or "someone",
        "greeting": p.called or "there",
        "first_name": p.called or "someone",
        "email": p.email,
        "headline": p.headline,
    }


def _expert_as_seen(
    event: Event | None,
    request: IntroRequest,
    recipient_id: uuid.UUID,
    people: dict[uuid.UUID, Person],
) -> dict[str, Any] | None:
    """The expert an event is about, as its recipient sees them in that event: by
    the name the connector typed when they named them by email."""
    viewer = viewer_of(request, recipient_id)
    seen = project_event(event, request, viewer) if event and viewer else None
    data = seen.data if seen else {}
    expert = people.get(uuid.UUID(str(data["expert_id"]))) if data.get("expert_id") else None
    if expert is not None:
        return _who(expert)
    typed = NamedAs.from_data(data.get("named_as"))
    return _typed(typed) if typed else None


def _typed(typed: NamedAs) -> dict[str, Any]:
    """Someone as a connector typed them: no id, no headline, only what was typed."""
    words = typed.name.split()
    return {
        "id": None,
        "name": typed.name or "someone",
        "greeting": words[0] if words else "there",
        "email": typed.email,
        "headline": "",
    }


def _went_to(
    event: Event | None,
    request: IntroRequest,
    recipient_id: uuid.UUID,
    people: dict[uuid.UUID, Person],
) -> dict[str, Any] | None:
    """The connector an ask, a forward or a hand-off gave the ask to: not whoever holds
    it when the email is sent, which may be someone later. One named by email is
    called by the name typed, as the recipient sees the forward."""
    if event is None or event.type not in (
        EventType.CREATED,
        EventType.FORWARDED,
        EventType.HANDED_OFF,
    ):
        return None
    viewer = viewer_of(request, recipient_id)
    seen = project_event(event, request, viewer) if viewer else None
    typed = NamedAs.from_data(seen.data.get("named_as")) if seen else None
    if typed is not None:
        return _typed(typed)
    went = people.get(uuid.UUID(str(event.data["connector_id"])))
    return _who(went) if went else None


def _connector_note(history: list[Event], request: IntroRequest) -> str:
    """What the connector wrote when naming the expert who is now introduced: why
    this person."""
    proposal = next(
        (
            e
            for e in reversed(history)
            if e.type is EventType.EXPERT_PROPOSED
            and e.data.get("expert_id") == str(request.expert_id)
        ),
        None,
    )
    return str(proposal.data.get("note", "")) if proposal else ""


async def _how_they_know(conn: AsyncConnection, request: IntroRequest) -> str:
    """How the connector knows the expert, as their connection records it: said in
    the introduction when the connector wrote no note of their own (two clicks from
    the email leave none)."""
    if request.expert_id is None:
        return ""
    known = await SqlConnections(conn).all_of(request.workspace_id, request.connector_id)
    return next((c.context for c in known if c.other_id == request.expert_id), "")


def ago(then: datetime | None, now: datetime) -> str:
    """How long ago, in the words of an email: "today", "yesterday", "3 days ago"."""
    days = (now - then).days if then else 0
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return f"{days // 7} weeks ago"
