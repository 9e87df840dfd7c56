"""The people of an ask, created through the API: who asks, who is asked, whom the
connector knows. One builder; each suite picks the casting its assertions quote."""

from __future__ import annotations

from dataclasses import dataclass, fields

from tests.e2e.world import World

TOPIC = "pricing a B2B SaaS product"


@dataclass(frozen=True)
class Someone:
    """A person as the API created them."""

    id: str
    email: str
    name: str


@dataclass(frozen=True)
class Part:
    """Someone to create, and how well the connector knows them (0: not at all)."""

    name: str
    headline: str = ""
    expertise: tuple[str, ...] = ()
    known: int = 0
    context: str = ""


@dataclass(frozen=True)
class Casting:
    blurb: str
    asker: Part
    connector: Part
    expert: Part
    second_expert: Part
    bystander: Part
    """Known to the connector, with expertise that does not fit the topic."""
    stranger: Part

    async def cast(self, world: World) -> Cast:
        """The people, created in the casting's order, then the connector's connections."""
        parts = [(f.name, getattr(self, f.name)) for f in fields(self) if f.name != "blurb"]
        people: dict[str, Someone] = {}
        for role, part in parts:
            profile: dict[str, object] = {}
            if part.headline:
                profile["headline"] = part.headline
            if part.expertise:
                profile["expertise"] = list(part.expertise)
            created = await world.person(part.name, **profile)
            people[role] = Someone(created["id"], created["email"], created["name"])
        for role, part in parts:
            if part.known:
                await world.connect(
                    people["connector"].id,
                    people[role].id,
                    strength=part.known,
                    context=part.context,
                )
        return Cast(casting=self, **people)


@dataclass(frozen=True)
class Cast:
    casting: Casting
    asker: Someone
    connector: Someone
    expert: Someone
    second_expert: Someone
    bystander: Someone
    stranger: Someone

    def everyone(self) -> list[Someone]:
        return [
            self.asker,
            self.connector,
            self.expert,
            self.second_expert,
            self.bystander,
            self.stranger,
        ]

    async def ask(self, world: World, topic: str = TOPIC, message: str | None = None) -> str:
        """The asker asks the connector (by default about the topic, with the blurb)."""
        r = await world.ask(
            self.asker.id, self.connector.id, topic=topic, message=message or self.casting.blurb
        )
        return str(r["id"])


TWO_SUGGESTIONS = Casting(
    blurb="I'm launching Pricely next month and want to learn how to price the team plan.",
    asker=Part("Ada Asker", headline="Founder at Pricely"),
    connector=Part("Carl Connector"),
    expert=Part("Jane Pricing", headline="Head of pricing", expertise=("pricing",), known=5),
    second_expert=Part("Kim Margins", expertise=("pricing", "saas"), known=3),
    bystander=Part("Bob Gardener", expertise=("gardening",), known=4),
    stranger=Part("Zed Unknown", expertise=("pricing",)),
)
"""A connector who knows two pricing people and a gardener, and a pricing expert
the connector does not know."""

ONE_SUGGESTION = Casting(
    blurb="I'm launching a product and want to learn how to price it.",
    asker=Part("Ada Asker", headline="Founder"),
    connector=Part("Carl Connector"),
    expert=Part(
        "Erin Expert",
        headline="Pricing lead",
        expertise=("pricing",),
        known=4,
        context="worked together",
    ),
    second_expert=Part("Kim Margins", expertise=("pricing", "saas")),
    bystander=Part("Amy Gardener", expertise=("gardening",), known=5),
    stranger=Part("Zed Unknown", expertise=("pricing",)),
)
"""A connector who knows one pricing expert and a gardener; the other pricing
people are strangers to them."""
