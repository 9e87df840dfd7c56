"""What every use case runs with: the driven ports, bound once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from warmintro.domain.ports import (
    ActionTokenCodec,
    AddressCheck,
    Clock,
    EmailAddresses,
    MemberTokenCodec,
    UnitOfWorkFactory,
)


@dataclass(frozen=True, slots=True)
class Env:
    uows: UnitOfWorkFactory
    """A new unit of work per transaction: read-only ones with `write=False`."""
    clock: Clock
    member_tokens: MemberTokenCodec
    link_tokens: ActionTokenCodec
    webhook_addresses: AddressCheck
    email_addresses: EmailAddresses
    """Validates and normalises the email addresses people are stored under."""
