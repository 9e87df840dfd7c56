"""The people of the rendering tests, and what every email must carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.e2e.world import World
from tests.email.mailroom import MESSAGE_ID, Mailroom, Sent, action_tokens, header
from warmintro.domain.action_links import Purpose

TOPIC = "pricing a B2B SaaS product"
BLURB = "I'm launching Pricely next month and want to learn how to price the team plan."


@dataclass
class Cast:
    asker: dict[str, Any]
    connector: dict[str, Any]
    expert: dict[str, Any]
    second_expert: dict[str, Any]
    gardener: dict[str, Any]
    stranger: dict[str, Any]


async def cast(world: World) -> Cast:
    """An asker, a connector who knows two pricing people and a gardener, and a pricing
    expert the connector does not know."""
    c = Cast(
        asker=await world.person("Ada Asker", headline="Founder at Pricely"),
        connector=await world.person("Carl Connector"),
        expert=await world.person(
            "Jane Pricing", headline="Head of pricing", expertise=["pricing"]
        ),
        second_expert=await world.person("Kim Margins", expertise=["pricing", "saas"]),
        gardener=await world.person("Bob Gardener", expertise=["gardening"]),
        stranger=await world.person("Zed Unknown", expertise=["pricing"]),
    )
    for friend, strength in ((c.expert, 5), (c.second_expert, 3), (c.gardener, 4)):
        await world.connect(c.connector["id"], friend["id"], strength=strength)
    return c


async def ask(world: World, c: Cast, topic: str = TOPIC, message: str = BLURB) -> str:
    r = await world.ask(c.asker["id"], c.connector["id"], topic=topic, message=message)
    return r["id"]


async def assert_well_formed(mailroom: Mailroom, sent: Sent, recipient: dict[str, Any]) -> None:
    """What every email carries: addressee, subject, text and HTML, a stable Message-ID,
    and a one-click unsubscribe link for its recipient."""
    e = sent.email
    assert e.to.email == recipient["email"] and e.to.name == recipient["name"]
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
    assert str(link.claims.person_id) == recipient["id"]
    assert m[1] in e.html, "the unsubscribe link is also in the footer"
    assert header(e, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


async def assert_action_link(
    mailroom: Mailroom, sent: Sent, purpose: Purpose, person: dict[str, Any], request_id: str
) -> None:
    """The email carries one decision link, in text and HTML, for its recipient."""
    tokens = action_tokens(sent.email.text)
    assert len(tokens) == 1, sent.email.text
    assert tokens[0] in sent.email.html
    link = await mailroom.link(tokens[0])
    assert link.purpose is purpose
    assert str(link.claims.person_id) == person["id"]
    assert str(link.claims.request_id) == request_id
    assert link.used_at is None
