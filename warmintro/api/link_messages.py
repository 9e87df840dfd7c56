"""What the link pages say in words: once a link has taken its decision, that it
worked and what happens next, in the names of the people involved (as the person
who used the link may see them: `LinkOutcome` carries only those); and why a link
cannot do what was asked. Promises follow the intro lifecycle; the asker
never learns who said no, or why."""

from __future__ import annotations

from warmintro.domain import errors
from warmintro.domain.action_links import LinkOutcome, Purpose
from warmintro.domain.intro_request import Action, State

Said = tuple[str, tuple[str, ...]]
"""A heading and its paragraphs."""

STATE_TEXT = {
    State.AWAITING_CONNECTOR: "waiting for the connector",
    State.AWAITING_EXPERT: "waiting for the expert's answer",
    State.INTRODUCED: "introduced",
    State.COMPLETED: "completed",
    State.DECLINED: "closed: the connector declined",
    State.EXPIRED: "closed: nobody answered in time",
    State.CANCELLED: "withdrawn by the asker",
}
DONE_TEXT: dict[str, str] = {
    # A link used before, shown again: what it did, without the names of the moment.
    Action.PROPOSE: "Thank you. We have asked them; you will hear back either way.",
    Action.FORWARD: "Thank you. We have passed the request on.",
    Action.DECLINE: "Thank you for letting us know.",
    Action.ACCEPT: "Thank you! We have introduced you by email.",
    Action.FEEDBACK: "Thank you. We have passed your answer on.",
    Action.CANCEL: "Your ask is withdrawn. Whoever still had it is told.",
}
VERB: dict[str, str] = {Action.CANCEL: "withdraw the ask", Action.FEEDBACK: "say whether it helped"}


def what_happens_next(outcome: LinkOutcome) -> Said:
    asker = outcome.asker or "the person who asked"
    connector = outcome.connector or "the person who named you"
    match outcome.action:
        case Action.PROPOSE:
            agrees = f"If {outcome.expert} agrees" if outcome.expert else "If they agree"
            return f"Thank you. We have asked {outcome.expert or 'them'}", (
                f"{agrees}, we will introduce them to {asker} by email and copy you. "
                f"If not, we will come back to you so you can name someone else; "
                f"{asker} is never told who said no.",
            )
        case Action.FORWARD:
            to = outcome.connector or "the person you chose"
            return f"Thank you. We have passed it on to {to}", (
                f"We have sent {to} {asker}'s request with your note; they decide whom to "
                "ask. There is nothing more for you to do.",
            )
        case Action.DECLINE if outcome.purpose is Purpose.EXPERT:
            return "Thank you for letting us know", (
                f"We will tell {connector}, so they can ask someone else. "
                f"{asker} never learns that you were asked.",
            )
        case Action.DECLINE:
            return "Thank you for letting us know", (_after_a_connector_s_no(outcome, asker),)
        case Action.ACCEPT:
            return f"You and {asker} are introduced", (
                f"We have emailed you both an introduction, copying {connector}. "
                "Reply to all to start the conversation.",
            )
        case Action.FEEDBACK:
            return "Thank you", (
                f"We have passed your answer on to {outcome.connector or 'your connector'} "
                "as a thank-you. "
                "That closes this request.",
            )
        case Action.CANCEL:
            return "Your ask is withdrawn", (
                "Whoever still had it is told, and nobody will be asked about it any more.",
            )
    return "Done", ("Thank you.",)


def _after_a_connector_s_no(outcome: LinkOutcome, asker: str) -> str:
    private = "Your reason and your note stay with us."
    if outcome.state is State.AWAITING_CONNECTOR:
        return f"{asker} named someone else who might help, so we will ask them next. {private}"
    return f"We will tell {asker} that it did not work out this time. {private}"


def why_not(exc: errors.DomainError) -> Said:
    """Why a link cannot do what was asked, for the person holding it."""
    match exc:
        case errors.LinkExpired():
            return "This link has expired", (
                "Links in our emails work for a limited time. If you still want to help, "
                "reply to the email you received.",
            )
        case errors.NotFound():
            return "This link does not work", (
                "Check that the whole link was copied from the email.",
            )
        case errors.LinkAlreadyUsed(used_for=used, asked=asked):
            return "You have already answered", (
                f"This link was used to {VERB.get(used, used)} already, "
                f"so it cannot also {VERB.get(asked, asked)}.",
            )
        case errors.MovedOn():
            return "This request has moved on", (
                "It is no longer waiting for your answer, so there is nothing more to decide here.",
            )
        case errors.WrongState(current_state=state):
            return "This request has moved on", (
                f"It is now {STATE_TEXT.get(State(state), state)}, "
                "so there is nothing more to decide here.",
            )
        case errors.NotOffered():
            return "That is not something this link can do", ()
    return "That did not work", (exc.detail,)
