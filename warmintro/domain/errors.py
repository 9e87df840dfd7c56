"""Domain errors. Each carries a stable `code` and the facts it refers to.

The API maps every class here to one HTTP status and problem type in a single
table (`warmintro.api.problems`); nothing else decides statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, detail: str, **facts: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.facts = facts


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a business rule (422)."""

    code = "invalid_input"

    def __init__(self, detail: str, *, field: str | None = None, **facts: Any) -> None:
        super().__init__(detail, **({"field": field} if field else {}), **facts)


class UnknownPerson(InvalidInput):
    """A person id in the body that names nobody in this workspace (422)."""

    code = "unknown_person"


class NotFound(DomainError):
    """The thing does not exist or the caller may not see it (404, never 403)."""

    code = "not_found"

    def __init__(self, kind: str, ident: object = None) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind
        self.ident = ident


class NotPermitted(DomainError):
    """The caller can see the request but this decision is not theirs to take."""

    code = "not_permitted"


class WrongState(DomainError):
    """A transition attempted from a state that does not allow it (409)."""

    code = "wrong_state"

    def __init__(self, action: str, current_state: str) -> None:
        super().__init__(
            f"cannot {action} an intro request that is {current_state}",
            action=action,
            current_state=current_state,
        )
        self.current_state = current_state


class MovedOn(WrongState):
    """An email link used after its turn has passed: the request no longer waits on
    the person it was sent to (409)."""

    code = "moved_on"

    def __init__(self, current_state: str) -> None:
        DomainError.__init__(
            self,
            "this request no longer waits on you",
            action="decide",
            current_state=current_state,
        )
        self.current_state = current_state


class DuplicateRequest(DomainError):
    """An open request already exists for this asker, connector and topic (409)."""

    code = "duplicate_request"


class AlreadyExists(DomainError):
    """A unique fact (an email in a workspace, a connection) is already recorded (409)."""

    code = "already_exists"


class ConcurrentUpdate(DomainError):
    """Someone else changed the aggregate between our read and our write (409)."""

    code = "concurrent_update"

    def __init__(self, kind: str = "intro request") -> None:
        super().__init__(f"the {kind} was changed by someone else; reload and retry")


class RecipientUnavailable(DomainError):
    """The person asked to help has opted out or cannot receive email (409)."""

    code = "recipient_unavailable"


class AskBudgetExceeded(DomainError):
    """The person has as many open asks as they allow, or is snoozed (429)."""

    code = "ask_budget_exceeded"

    def __init__(self, detail: str, *, retry_after: datetime, role: str) -> None:
        super().__init__(detail, role=role)
        self.retry_after = retry_after


class Unauthenticated(DomainError):
    """Missing, malformed, forged or expired credentials (401)."""

    code = "unauthenticated"


class TokenExpired(Unauthenticated):
    """A genuine token past its expiry: worth a kinder message than a forged one."""


class LinkExpired(DomainError):
    """An email link past its expiry (410): the person is told to reply instead."""

    code = "link_expired"


class LinkAlreadyUsed(DomainError):
    """An email link that took one decision asked to take another (409)."""

    code = "link_already_used"

    def __init__(self, used_for: str, asked: str) -> None:
        super().__init__(
            f"this link was used to {used_for} already, so it cannot also {asked}",
            used_for=used_for,
        )
        self.used_for = used_for
        self.asked = asked


class NotOffered(DomainError):
    """Something an email link was not made for (400): another party's decision, or
    no decision at all."""

    code = "not_offered"


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was used before with a different request (422)."""

    code = "idempotency_key_reused"


class IdempotencyKeyInUse(DomainError):
    """A request with this Idempotency-Key is still being processed (409)."""

    code = "idempotency_key_in_use"


class SendFailed(Exception):
    """A transport refused an email. Transient failures (timeouts, 429, 5xx) are
    retried with backoff; permanent ones (400, 401, 403) are not."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
