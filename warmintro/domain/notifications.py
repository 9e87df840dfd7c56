"""Which emails each change sends, and to whom.

The asker hears of every turn their ask takes, never of experts: when it is sent
(to whom), passed on (to whom), introduced, did not work out or expired. The
introduction is one message To the asker and the expert with the connector in
Cc, so that replying to all is the conversation.

An email that asks someone to act on an ask they hold (the ask, the consent ask,
a reminder) or tells them it was withdrawn goes only to someone who can be asked
when it is queued (see `effects`): a connector may name by email someone known
who cannot be asked, and that ask is recorded but never sent.

Outbox rows hold references (template, recipient, request, event), never the
rendered text: the worker renders at send time from current data, so an erased
person's details never sit in a queue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import IntroRequest, Role


@dataclass(frozen=True, slots=True)
class EmailIntent:
    template: str
    recipient_id: uuid.UUID
    request_id: uuid.UUID
    event_id: uuid.UUID
    cc_ids: tuple[uuid.UUID, ...] = ()
    also_to_ids: tuple[uuid.UUID, ...] = ()
    """Further people in To beside the recipient: one message shared by several."""
    asks: Role | None = None
    """The part in which this email asks its recipient about the request (or tells
    them the ask was withdrawn): it goes only if they can be asked in it now."""


def emails_for(event: Event, request: IntroRequest) -> list[EmailIntent]:
    def to(
        template: str, person: uuid.UUID | None, *cc: uuid.UUID, asks: Role | None = None
    ) -> list[EmailIntent]:
        if person is None:
            return []
        return [EmailIntent(template, person, request.id, event.id, tuple(cc), asks=asks)]

    data = event.data
    match event.type:
        # A new ask and a hand-off go only to a connector checked as they were made.
        case EventType.CREATED:
            return to("asker_ask_sent", request.asker_id) + to(
                "connector_ask", request.connector_id
            )
        case EventType.HANDED_OFF:
            return to("asker_passed_on", request.asker_id) + to(
                "connector_ask", request.connector_id
            )
        case EventType.FORWARDED:
            return to("asker_passed_on", request.asker_id) + to(
                "connector_ask", request.connector_id, asks=Role.CONNECTOR
            )
        case EventType.EXPERT_PROPOSED:
            return to("expert_consent", request.expert_id, asks=Role.EXPERT)
        case EventType.EXPERT_DECLINED:
            return to("connector_expert_declined", request.connector_id)
        case EventType.EXPERT_UNREACHABLE:
            return to("connector_expert_unreachable", request.connector_id)
        case EventType.INTRODUCED:
            return [introduction(event, request)]
        case EventType.DECLINED:
            return to("asker_not_this_time", request.asker_id)
        case EventType.EXPIRED:
            return to("asker_expired", request.asker_id)
        case EventType.CANCELLED:
            if data.get("was") == "introduced":
                return []  # nobody was waiting on anything
            if request.expert_id:
                return to("party_cancelled", request.expert_id, asks=Role.EXPERT)
            return to("party_cancelled", request.connector_id, asks=Role.CONNECTOR)
        case EventType.REMINDER_DUE:
            person, role = data.get("person_id"), Role(str(data.get("role")))
            template = f"{role.value}_reminder"
            return to(template, uuid.UUID(person), asks=role) if isinstance(person, str) else []
        case EventType.FEEDBACK_REQUESTED:
            return to("asker_feedback_ask", request.asker_id)
        case EventType.COMPLETED:
            return to("connector_thank_you", request.connector_id)
    return []


def introduction(event: Event, request: IntroRequest) -> EmailIntent:
    """One message for the three of them: the asker and the expert in To, the
    connector who made it in Cc."""
    expert = uuid.UUID(str(event.data["expert_id"]))
    return EmailIntent(
        "introduction",
        request.asker_id,
        request.id,
        event.id,
        cc_ids=(request.connector_id,),
        also_to_ids=(expert,),
    )
