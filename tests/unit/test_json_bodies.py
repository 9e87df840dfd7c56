"""The hot reads' bodies, dumped without their response models, are byte for byte
what FastAPI would write from the models their routes declare in the spec."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from warmintro.api.json_bodies import PERSON, PERSON_PAGE, REQUEST, REQUEST_PAGE, PageBody
from warmintro.api.json_bodies import PersonBody as Body
from warmintro.api.schemas import IntroRequestOut, Page, PersonOut
from warmintro.domain.intro_request import DeclineReason, Rating, Role, State
from warmintro.domain.people import EmailStatus, Person, Preferences
from warmintro.domain.views import RequestView

AT = datetime(2026, 3, 1, 9, 30, 5, 123456, tzinfo=UTC)


def _views() -> list[RequestView]:
    whole = RequestView(
        id=uuid.uuid4(),
        state=State.INTRODUCED,
        asker_id=uuid.uuid4(),
        connector_id=uuid.uuid4(),
        expert_id=uuid.uuid4(),
        target_id=uuid.uuid4(),
        fallback_connector_ids=(uuid.uuid4(), uuid.uuid4()),
        topic='Pricing "usage" é\n',
        message="<b>hi</b>\\",
        hops=2,
        decline_reason=DeclineReason.NOT_NOW,
        feedback_rating=Rating.SOMEWHAT,
        viewer_role=Role.CONNECTOR,
        deadline_at=AT,
        introduced_at=AT + timedelta(days=1),
        created_at=AT,
        updated_at=AT.replace(microsecond=0),
    )
    bare = RequestView(
        id=uuid.uuid4(),
        state=State.AWAITING_CONNECTOR,
        asker_id=uuid.uuid4(),
        connector_id=None,
        expert_id=None,
        target_id=None,
        fallback_connector_ids=None,
        topic="t",
        message="",
        hops=0,
        decline_reason=None,
        feedback_rating=None,
        viewer_role=None,
        deadline_at=None,
        introduced_at=None,
        created_at=AT,
        updated_at=AT,
    )
    return [whole, bare]


def _person() -> Person:
    return Person(
        id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        email="ada@example.org",
        name="Ada Ø",
        created_at=AT,
        updated_at=AT,
        headline="Pricing",
        expertise=("pricing", "growth"),
        bio="Bio",
        email_status=EmailStatus.BOUNCED,
        preferences=Preferences(ask_budget=3, snooze_until=AT, never_contact=True),
    )


@pytest.mark.parametrize("cursor", [None, "AAAAAAAAAAAAAAAAAAAAAA"])
def test_a_page_of_requests_is_what_the_model_writes(cursor: str | None) -> None:
    views = _views()
    model = Page[IntroRequestOut](items=[IntroRequestOut.of(v) for v in views], next_cursor=cursor)
    expected = TypeAdapter(Page[IntroRequestOut]).dump_json(model)
    assert REQUEST_PAGE.dump(PageBody(views, cursor)) == expected
    assert REQUEST.dump(views[0]) == IntroRequestOut.of(views[0]).model_dump_json().encode()


@pytest.mark.parametrize("private", [True, False])
def test_a_person_is_what_the_model_writes(private: bool) -> None:
    person = _person()
    model = PersonOut.of(person, private=private)
    assert PERSON.dump(Body.of(person, private=private)) == model.model_dump_json().encode()
    page = Page[PersonOut](items=[model], next_cursor=None)
    assert PERSON_PAGE.dump(PageBody([Body.of(person, private=private)], None)) == (
        TypeAdapter(Page[PersonOut]).dump_json(page)
    )
