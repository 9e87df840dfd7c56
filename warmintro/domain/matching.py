"""Matching text against people as words, the rules the database applies.

The database does the matching (PostgreSQL full text, SQLite FTS5), each with its
own English stemmer; this module holds what both are given and what the domain
says about a match:

- a text is cut into words: runs of letters and digits, lower-cased; words that
  carry no meaning ("the", "of", "how": PostgreSQL's English list) and single
  letters are dropped, so "Google Ads campaign" is google, ads, campaign, and
  never "go" or "ai" inside them;
- a search (people search `q`) needs every word, in any order, in the person's
  tags, headline or bio (stemmed: "models" finds "model"), or as the start of a
  word of their name ("ada", "lovel"); a search that looks like part of an email
  address ("@example.org", "mailbox.test") also finds it in addresses, for the
  workspace's own key only;
- a topic (suggestions) matches a tag only when the whole tag appears in it as a
  phrase ("pricing model" in "pricing models for SaaS", not in "model pricing"
  nor in "learning models"), and matches a headline or a bio on any one word;
  tags count most, then the headline, then the bio (`MatchScore`).

`stem` and `mentions` are a crude stand-in for the databases' stemmers (plurals,
-ing, -ed), good enough to say which of a suggested person's tags a topic names
and for the in-memory fakes; the databases decide who matches.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_STOP_WORDS = """i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now"""
STOPWORDS = frozenset(_STOP_WORDS.split())
"""PostgreSQL's English stop words: the database drops them too, so a word that
survives here is a word the database searches for."""

MAX_PHRASE = 6
"""The longest tag, in words, that a topic can name as a phrase."""

TAG_WEIGHT = 3.0
HEADLINE_WEIGHT = 1.0
BIO_WEIGHT = 0.5

_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class MatchScore:
    """How a person matches a topic: the number of their tags the topic names as
    phrases, and whether a word of the topic is in their headline, in their bio."""

    tags: int
    headline: bool
    bio: bool

    @property
    def value(self) -> float:
        """Each tag named weighs most, then the headline, then the bio: a person
        matched by a tag ranks above one matched only by their headline or bio."""
        return TAG_WEIGHT * self.tags + HEADLINE_WEIGHT * self.headline + BIO_WEIGHT * self.bio


def names_an_address(q: str) -> bool:
    """Whether a search looks like (part of) an email address, which the workspace's
    own key may search by: it holds an @ or a dot ("ada@", "example.org")."""
    return "@" in q or "." in q.strip(".")


def tokens(text: str) -> list[str]:
    """Every run of letters and digits, lower-cased, stop words included."""
    return _TOKEN.findall(text.casefold())


def words(text: str) -> list[str]:
    """The words that carry meaning, in order, each once."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOPWORDS and len(token) > 1:
            seen.setdefault(token)
    return list(seen)


def phrases(text: str, longest: int = MAX_PHRASE) -> list[tuple[str, ...]]:
    """Every run of up to `longest` consecutive tokens of the text (stop words kept,
    as a tag keeps them: "head of growth"), each once; none that is only stop words."""
    found: dict[tuple[str, ...], None] = {}
    run = tokens(text)
    for start in range(len(run)):
        for end in range(start + 1, min(start + longest, len(run)) + 1):
            phrase = tuple(run[start:end])
            if any(t not in STOPWORDS and len(t) > 1 for t in phrase):
                found.setdefault(phrase)
    return list(found)


def stem(word: str) -> str:
    """A crude English stem: plurals, -ing and -ed off, a final e dropped ("pricing",
    "prices" and "priced" are all "pric")."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    else:
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text)]


@functools.lru_cache(maxsize=4096)
def mentions(text: str, tag: str) -> bool:
    """Whether the text names the tag as a phrase: its words, stemmed, in a row.
    Remembered: a warm path asks it of each tag of up to 400 people for one topic,
    and tags repeat (stemming them again was a sixteenth of a warm path's CPU)."""
    needle = stems(tag)
    if not any(t not in STOPWORDS and len(t) > 1 for t in tokens(tag)):
        return False
    hay = stems(text)
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))
