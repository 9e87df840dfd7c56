"""Email addresses checked by `email-validator` (the adapter behind the
`EmailAddresses` port), and the unit tests' stdlib fake held to the same line on
everything that could smuggle in a second recipient."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeEmailAddresses
from warmintro.domain.errors import InvalidInput
from warmintro.infra.email.addresses import ValidatedEmailAddresses

REAL = ValidatedEmailAddresses()
FAKE = FakeEmailAddresses()

SMUGGLING = [
    "x@example.com>,<root",
    '"a"@b.com, c@d.com',
    '"a"@example.com',
    "eve@example.com, root@example.com",
    "eve@example.com;root@example.com",
    "Eve <eve@example.com>",
    "<eve@example.com>",
    "eve@example.com\r\nBcc: root@example.com",
    "eve@example.com\nroot@example.com",
    "eve @example.com",
    "eve@exa mple.com",
    "eve@example.com\x00",
    "eve(comment)@example.com",
    "eve@example.com (root)",
    "eve@[127.0.0.1]",
    "e\\ve@example.com",
    "eve@exam:ple.com",
    "root:eve@example.com",
    "eve@@example.com",
    "@example.com",
    "eve@",
    "eve",
]


@pytest.mark.parametrize("raw", SMUGGLING)
def test_anything_that_could_name_another_recipient_is_refused_by_both(raw: str) -> None:
    for addresses in (REAL, FAKE):
        with pytest.raises(InvalidInput) as info:
            addresses.normalise(raw)
        assert info.value.facts == {"field": "email"}, addresses


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Jane.Doe@Example.COM", "Jane.Doe@example.com"),
        ("  ada+intros@example.org ", "ada+intros@example.org"),
        ("kim@bücher.example", "kim@xn--bcher-kva.example"),
    ],
)
def test_an_address_is_stored_in_its_normalised_ascii_form(raw: str, stored: str) -> None:
    assert REAL.normalise(raw) == stored


@pytest.mark.parametrize("raw", ["josé@example.com", "a@localhost", "a@example.test", "a@b"])
def test_addresses_no_relay_can_take_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        REAL.normalise(raw)
