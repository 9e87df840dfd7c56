"""Every email template, rendered by the relay from real flows through the API.

Flows run through the HTTP API; the worker then renders and "sends" each outbox
row with the console transport, and the tests read the dev mailbox.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tests.clock import FakeClock
from tests.e2e.cast import TOPIC, TWO_SUGGESTIONS, Cast, Someone
from tests.e2e.mail import MESSAGE_ID, Mailroom, Sent, action_tokens, header
from tests.e2e.world import World
from warmintro.domain.action_links import Purpose
from warmintro.infra.email.compose import REASONS, TEMPLATES

# Every template a request's lifecycle sends by itself; a bounce's notice to the
# connector (connector_expert_unreachable) follows a provider event instead.
LIFECYCLE_TEMPLATES = {
    "connector_ask",
    "connector_reminder",
    "connector_expert_declined",
    "connector_thank_you",
    "expert_consent",
    "expert_reminder",
    "introduction",
    "asker_ask_sent",
    "asker_not_this_time",
    "asker_feedback_ask",
    "party_cancelled",
}


async def assert_well_formed(mailroom: Mailroom, sent: Sent, recipient: Someone) -> None:
    """What every email carries: addressee, subject, text and HTML, a stable Message-ID,
    and a one-click unsubscribe link for its recipient."""
    e = sent.email
    assert e.to.email == recipient.email and e.to.name == recipient.name
    assert e.subject.strip() and "\n" not in e.subject
    assert e.text.strip() and not e.text.startswith(e.subject), e.text
    assert e.html.lstrip().lower().startswith("<!doctype html>")
    assert "</html>" in e.html
    assert MESSAGE_ID.fullmatch(e.message_id), e.message_id
    assert e.message_id == f"<{sent.row.id}@localhost>"
    row = await mailroom.row(sent.row.id)
    assert row.status == "sent" and row.message_id == e.message_id
    unsubscribe = header(e, "List-Unsubscribe")
    m = re.fullmatch(r"<(https?://[^\s<>]+/a/[^\s<>]+)>", unsubscribe)
    assert m, unsubscribe
    link = await mailroom.link(m[1])
    assert link.purpose is Purpose.UNSUBSCRIBE
    assert str(link.claims.person_id) == recipient.id
    assert m[1] in e.html, "the unsubscribe link is also in the footer"
    assert header(e, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


async def assert_action_link(
    mailroom: Mailroom, sent: Sent, purpose: Purpose, person: Someone, request_id: str
) -> None:
    """The email carries one decision link, in text and HTML, for its recipient (a
    connector's suggestions open the same link on one person)."""
    tokens = sorted(set(action_tokens(sent.email.text)))
    assert len(tokens) == 1, sent.email.text
    assert tokens[0] in sent.email.html
    link = await mailroom.link(tokens[0])
    assert link.purpose is purpose
    assert str(link.claims.person_id) == person.id
    assert str(link.claims.request_id) == request_id
    assert link.used_at is None


async def test_connector_ask_names_asker_topic_blurb_suggestions_and_carries_a_link(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await mailroom.run()

    sent = await mailroom.one("connector_ask", request_id=rid)
    await assert_well_formed(mailroom, sent, c.connector)
    await assert_action_link(mailroom, sent, Purpose.CONNECTOR, c.connector, rid)
    assert "Ada Asker" in sent.email.subject and TOPIC in sent.email.subject
    for text in (sent.email.text, sent.email.html):
        assert "Ada Asker" in text
        assert "Founder at Pricely" in text
        assert TOPIC in text
        assert "Pricely next month" in text and "team plan" in text
        # suggestions come from the connector's connections whose expertise fits
        assert "Jane Pricing" in text and "Head of pricing" in text
        assert "Kim Margins" in text
        assert "Bob Gardener" not in text
        assert "Zed Unknown" not in text, "not a connection of the connector"
    assert sent.email.reply_to is not None and sent.email.reply_to.email == c.asker.email
    assert sent.email.cc == ()
    assert sorted(s.template for s in await mailroom.sent()) == ["asker_ask_sent", "connector_ask"]


async def test_expert_consent_says_who_asks_why_and_what_the_connector_noted(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(
        rid,
        "propose",
        c.connector.id,
        {"expert_id": c.expert.id, "note": "Jane priced three SaaS products."},
    )
    await mailroom.run()

    sent = await mailroom.one("expert_consent", request_id=rid)
    await assert_well_formed(mailroom, sent, c.expert)
    await assert_action_link(mailroom, sent, Purpose.EXPERT, c.expert, rid)
    for text in (sent.email.text, sent.email.html):
        assert "Carl Connector" in text
        assert "Ada Asker" in text and "Founder at Pricely" in text
        assert TOPIC in text
        assert "Pricely next month" in text
        assert "Jane priced three SaaS products." in text
    assert sent.email.reply_to is not None
    assert sent.email.reply_to.email == c.connector.email
    assert sent.email.cc == ()


async def test_the_introduction_is_one_message_to_both_with_the_connector_in_cc(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    note = {"expert_id": c.expert.id, "note": "Jane priced three SaaS products."}
    await world.do(rid, "propose", c.connector.id, note)
    await world.do(rid, "accept", c.expert.id, {"note": "Happy to do a call next week."})
    await mailroom.run()

    sent = await mailroom.one("introduction", request_id=rid)
    e = sent.email
    assert [(a.email, a.name) for a in (e.to, *e.also_to)] == [
        (c.asker.email, c.asker.name),
        (c.expert.email, c.expert.name),
    ]
    assert [(a.email, a.name) for a in e.cc] == [(c.connector.email, "Carl Connector")]
    assert e.reply_to is None, "replying to all is the conversation"
    assert "Ada Asker" in e.subject and "Jane Pricing" in e.subject
    assert e.text.startswith("Hi Ada and Jane,")
    for text in (e.text, e.html):
        for person in (c.asker, c.expert):
            assert person.email in text and person.name in text
        assert "Carl Connector" in text
        assert TOPIC in text
        assert "Pricely next month" in text
        assert "Jane priced three SaaS products." in text, "the connector's note: why her"
        assert "Happy to do a call next week." in text, "the expert's note"
    assert not action_tokens(e.text) and not action_tokens(e.html), "nobody's link"
    assert not [k for k, _ in e.headers if k.lower().startswith("list-unsubscribe")]
    assert "several people" in e.html


async def expert_then_connector_decline(
    world: World, c: Cast, mailroom: Mailroom | None = None
) -> str:
    """The expert says no, then the connector. With a mailroom, mail goes out in
    between, as it does in life (a notice still queued when the connector has
    already closed the request is rightly skipped)."""
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id, "note": "Ask Jane."})
    await world.do(
        rid,
        "decline",
        c.expert.id,
        {"reason": "not_a_fit", "note": "I only price consumer apps."},
    )
    if mailroom is not None:
        await mailroom.run()
    await world.do(
        rid, "decline", c.connector.id, {"reason": "busy", "note": "Nobody else comes to mind."}
    )
    return rid


async def test_connectors_expert_declined_notice_carries_the_reason(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await expert_then_connector_decline(world, c, mailroom)
    await mailroom.run()

    sent = await mailroom.one("connector_expert_declined", request_id=rid)
    await assert_well_formed(mailroom, sent, c.connector)
    await assert_action_link(mailroom, sent, Purpose.CONNECTOR, c.connector, rid)
    assert "Jane Pricing" in sent.email.subject
    for text in (sent.email.text, sent.email.html):
        assert "Jane Pricing" in text
        assert REASONS["not_a_fit"] in text.replace("&#39;", "'")
        assert "I only price consumer apps." in text
        assert "Ada Asker" in text and TOPIC in text


async def test_asker_hears_not_this_time_without_the_expert_or_any_reason(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await expert_then_connector_decline(world, c)
    await mailroom.run()

    assert {s.template for s in await mailroom.sent(request_id=rid)} == {
        "asker_ask_sent",
        "connector_ask",
        "expert_consent",
        "connector_expert_declined",
        "asker_not_this_time",
    }
    to_asker = await mailroom.sent(to=c.asker.email)
    assert sorted(s.template for s in to_asker) == ["asker_ask_sent", "asker_not_this_time"]
    [sent] = [s for s in to_asker if s.template == "asker_not_this_time"]
    await assert_well_formed(mailroom, sent, c.asker)
    e = sent.email
    assert TOPIC in e.subject and TOPIC in e.text and TOPIC in e.html
    everything = "\n".join(
        [e.subject, e.text, e.html, *(v for _, v in e.headers), *(v for _, v in e.tags)]
    ).replace("&#39;", "'")
    for secret in (
        "Jane",
        c.expert.email,
        c.expert.id,
        "Head of pricing",
        "I only price consumer apps.",
        "Nobody else comes to mind.",
        "Ask Jane.",
        *REASONS.values(),
    ):
        assert secret not in everything, secret
    assert e.reply_to is None or e.reply_to.email != c.expert.email
    await assert_action_link(mailroom, sent, Purpose.ASKER, c.asker, rid)


async def test_reminders_nudge_the_connector_and_then_the_expert(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await mailroom.run()
    clock.advance(timedelta(days=3))
    await mailroom.run()

    nudge = await mailroom.one("connector_reminder", request_id=rid)
    await assert_well_formed(mailroom, nudge, c.connector)
    await assert_action_link(mailroom, nudge, Purpose.CONNECTOR, c.connector, rid)
    assert "Ada Asker" in nudge.email.subject and TOPIC in nudge.email.subject
    for text in (nudge.email.text, nudge.email.html):
        assert "Ada Asker" in text and TOPIC in text and "Pricely next month" in text
        assert "Jane Pricing" in text, "the reminder repeats the suggestions"
    assert nudge.email.reply_to is not None and nudge.email.reply_to.email == c.asker.email

    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()
    clock.advance(timedelta(days=4))
    await mailroom.run()

    nudge = await mailroom.one("expert_reminder", request_id=rid)
    await assert_well_formed(mailroom, nudge, c.expert)
    await assert_action_link(mailroom, nudge, Purpose.EXPERT, c.expert, rid)
    assert "Ada Asker" in nudge.email.subject
    for text in (nudge.email.text, nudge.email.html):
        assert "Ada Asker" in text and "Carl Connector" in text and TOPIC in text
    assert nudge.email.reply_to is not None
    assert nudge.email.reply_to.email == c.connector.email


async def test_feedback_ask_goes_to_the_asker_and_the_thank_you_to_the_connector(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await world.do(rid, "accept", c.expert.id)
    await mailroom.run()
    clock.advance(timedelta(days=3))
    await mailroom.run()

    ask_ = await mailroom.one("asker_feedback_ask", request_id=rid)
    await assert_well_formed(mailroom, ask_, c.asker)
    await assert_action_link(mailroom, ask_, Purpose.ASKER, c.asker, rid)
    assert "Jane Pricing" in ask_.email.subject
    for text in (ask_.email.text, ask_.email.html):
        assert "Jane Pricing" in text and "Carl Connector" in text and TOPIC in text

    await world.do(rid, "feedback", c.asker.id, {"rating": "yes", "note": "Jane saved us months."})
    await mailroom.run()

    thanks = await mailroom.one("connector_thank_you", request_id=rid)
    await assert_well_formed(mailroom, thanks, c.connector)
    assert "Ada Asker" in thanks.email.subject
    for text in (thanks.email.text, thanks.email.html):
        assert "Ada Asker" in text and "Jane Pricing" in text and TOPIC in text
        assert "yes, it helped" in text
        assert "Jane saved us months." in text
    assert thanks.email.reply_to is not None
    assert thanks.email.reply_to.email == c.asker.email
    assert not action_tokens(thanks.email.text)


async def test_a_cancelled_request_tells_the_expert_who_was_asked(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    rid = await c.ask(world)
    await world.do(rid, "propose", c.connector.id, {"expert_id": c.expert.id})
    await world.do(rid, "cancel", c.asker.id)
    await mailroom.run()

    sent = await mailroom.one("party_cancelled", request_id=rid)
    await assert_well_formed(mailroom, sent, c.expert)
    for text in (sent.email.text, sent.email.html):
        assert "Ada Asker" in text and TOPIC in text
    assert not action_tokens(sent.email.text)


def test_every_template_has_a_text_and_an_html_version() -> None:
    texts = {p.stem for p in TEMPLATES.glob("*.txt")}
    htmls = {p.stem for p in TEMPLATES.glob("*.html") if not p.stem.startswith("_")}
    assert texts == htmls
    assert texts >= LIFECYCLE_TEMPLATES


async def test_every_lifecycle_email_has_text_html_a_message_id_and_one_click_unsubscribe(
    world: World, mailroom: Mailroom, clock: FakeClock
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    # introduced, after a first expert said no; then did it help, and thanks
    happy = await c.ask(world)
    await world.do(happy, "propose", c.connector.id, {"expert_id": c.expert.id})
    await world.do(happy, "decline", c.expert.id, {"reason": "busy"})
    await world.do(happy, "propose", c.connector.id, {"expert_id": c.second_expert.id})
    await world.do(happy, "accept", c.second_expert.id)
    # not this time
    no = await c.ask(world, topic="hiring a first salesperson")
    await world.do(no, "decline", c.connector.id, {"reason": "not_now"})
    # reminders, then cancelled
    slow = await c.ask(world, topic="SaaS billing systems")
    await mailroom.run()
    clock.advance(timedelta(days=3))
    await mailroom.run()  # connector reminder; the feedback ask for `happy`
    await world.do(happy, "feedback", c.asker.id, {"rating": "somewhat"})
    await world.do(slow, "propose", c.connector.id, {"expert_id": c.expert.id})
    await mailroom.run()
    clock.advance(timedelta(days=4))
    await mailroom.run()  # expert reminder
    await world.do(slow, "cancel", c.asker.id)
    await mailroom.run()

    sent = await mailroom.sent()
    assert {s.template for s in sent} == LIFECYCLE_TEMPLATES
    people = {p.id: p for p in c.everyone()}
    for s in sent:
        if s.template != "introduction":  # several recipients: tested on its own
            await assert_well_formed(mailroom, s, people[str(s.row.recipient_id)])
    ids = [s.email.message_id for s in sent]
    assert len(set(ids)) == len(ids), "one Message-ID per outbox row"
    assert all(r.status == "sent" for r in await mailroom.rows())


async def test_html_escapes_what_people_wrote_and_text_keeps_it_verbatim(
    world: World, mailroom: Mailroom
) -> None:
    c = await TWO_SUGGESTIONS.cast(world)
    topic = "<script>alert('x')</script> pricing"
    blurb = 'Tell me about <b>tiers</b> & "anchors".'
    rid = await c.ask(world, topic=topic, message=blurb)
    await world.do(
        rid,
        "propose",
        c.connector.id,
        {"expert_id": c.expert.id, "note": "<img src=x onerror=alert(1)>"},
    )
    await world.do(rid, "accept", c.expert.id, {"note": "<iframe src=//evil>"})
    await mailroom.run()

    sent = [s for s in await mailroom.sent(request_id=rid) if s.template != "asker_ask_sent"]
    assert {s.template for s in sent} == {"connector_ask", "expert_consent", "introduction"}
    for s in sent:
        html = s.email.html
        assert "&lt;script&gt;alert(" in html, s.template
        assert "<script" not in html.lower(), s.template
        assert "&lt;b&gt;tiers&lt;/b&gt; &amp;" in html, s.template
        assert "<b>tiers" not in html
        assert "<img" not in html.lower() and "<iframe" not in html.lower()
        assert topic in s.email.text, "plain text is not HTML-escaped"
        assert blurb in s.email.text
    consent = next(s for s in sent if s.template == "expert_consent")
    assert "&lt;img src=x onerror=alert(1)&gt;" in consent.email.html
    assert "<img src=x onerror=alert(1)>" in consent.email.text
