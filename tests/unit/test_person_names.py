"""The name emails greet a person by."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from warmintro.domain.people import Person

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def person(name: str) -> Person:
    return Person(uuid.uuid4(), uuid.uuid4(), "a@example.com", name, NOW, NOW)


@pytest.mark.parametrize(
    ("name", "called"),
    [("Ada Asker", "Ada"), ("  Zoë   Ünïcode  ", "Zoë"), ("Cher", "Cher")],
)
def test_a_person_is_called_by_the_first_word_of_their_name(name: str, called: str) -> None:
    assert person(name).called == called


def test_an_erased_person_has_no_name_to_be_called_by() -> None:
    assert person("Ada Asker").erased(NOW).called == ""
