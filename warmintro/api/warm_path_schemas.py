"""The bodies of a warm-path answer: each connection, its score and the reasons,
in plain fields a frontend can show as they are."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from warmintro.domain.answering import RECENT_ASKS
from warmintro.domain.warm_paths import WarmPath


class PathPersonOut(BaseModel):
    id: uuid.UUID
    name: str
    headline: str


class ExpertiseOut(BaseModel):
    matched_tags: list[str] = Field(description="Their expertise tags the topic names.")
    headline: bool = Field(description="A word of the topic is in their headline.")
    bio: bool = Field(description="A word of the topic is in their bio.")


class AnswersOut(BaseModel):
    asks_received: int = Field(
        description=f"Asks they received as a connector here, of their {RECENT_ASKS} most "
        "recent (the newest requests that named them connector); older ones do not count."
    )
    answered: int = Field(description="Of those, how many they proposed, forwarded or declined.")
    answer_rate: float | None = Field(
        description="Answered over the asks no longer waiting on them; null before any."
    )
    median_hours_to_answer: float | None
    introductions_made: int = Field(description="Asks where the expert they proposed accepted.")


class ReasonsOut(BaseModel):
    own_expertise: ExpertiseOut
    matching_connections: int = Field(
        description="How many of their connections match the topic: counted, never named, "
        "only people who let warm-path search count them, never the asker."
    )
    strength: int = Field(description="The asker's connection to them, 1 to 5.")
    answers: AnswersOut
    open_asks: int = Field(description="Asks waiting on them as a connector now.")
    budget: int = Field(description="How many open asks they agreed to carry.")
    at_budget: bool = Field(description="They hold their budget: an ask now would be refused.")
    snoozed: bool = Field(description="They asked not to be asked for a while.")
    knows_target_strength: int | None = Field(
        default=None, description="With `target_id`: their connection to the target, 1 to 5."
    )


class WarmPathOut(BaseModel):
    person: PathPersonOut
    score: float = Field(description="0 to 100; how the parts weigh is in the operation text.")
    reasons: ReasonsOut

    @classmethod
    def of(cls, path: WarmPath) -> WarmPathOut:
        c = path.candidate
        r = c.record
        assert r is not None, "a ranked candidate was scored with their record"
        return cls(
            person=PathPersonOut(id=c.person.id, name=c.person.name, headline=c.person.headline),
            score=path.score,
            reasons=ReasonsOut(
                own_expertise=ExpertiseOut(
                    matched_tags=list(c.matched_tags),
                    headline=bool(c.match and c.match.headline),
                    bio=bool(c.match and c.match.bio),
                ),
                matching_connections=c.matching_connections,
                strength=c.strength,
                answers=AnswersOut(
                    asks_received=r.asks_received,
                    answered=r.answered,
                    answer_rate=r.answer_rate,
                    median_hours_to_answer=r.median_hours_to_answer,
                    introductions_made=r.introductions_made,
                ),
                open_asks=c.open_asks,
                budget=c.budget,
                at_budget=path.at_budget,
                snoozed=c.snoozed,
                knows_target_strength=c.knows_target_strength,
            ),
        )


class WarmPathsOut(BaseModel):
    items: list[WarmPathOut]
