"""The rules of matching words, as the domain states them (domain/matching.py):
what a text's words are, which phrases a topic holds, and when it names a tag."""

from __future__ import annotations

from warmintro.domain.matching import MatchScore, mentions, names_an_address, phrases, stem, words


def test_words_are_lower_cased_runs_of_letters_and_digits_without_small_words() -> None:
    assert words("How do I run a Google Ads campaign?") == ["run", "google", "ads", "campaign"]
    assert words("B2B SaaS: pricing, pricing & more") == ["b2b", "saas", "pricing"]
    assert words("snake_case e-mail") == ["snake", "case", "mail"]
    assert words("the of a") == []


def test_a_topic_names_a_tag_only_whole_and_in_order() -> None:
    assert mentions("Pricing models for SaaS", "pricing model")
    assert mentions("Hiring a head of growth", "head of growth")
    assert mentions("Google Ads campaign", "google ads")
    assert not mentions("Google Ads campaign", "go")
    assert not mentions("Retaining customers", "ai")
    assert not mentions("Model pricing", "pricing model")
    assert not mentions("Learning to code", "machine learning")
    assert not mentions("Anything at all", "the")


def test_the_crude_stem_takes_plurals_and_common_endings_off() -> None:
    assert {stem(w) for w in ("pricing", "prices", "priced", "price")} == {"pric"}
    assert stem("companies") == stem("company")
    assert stem("models") == stem("model")
    assert stem("business") == "business"


def test_phrases_are_runs_of_tokens_with_some_meaning() -> None:
    assert phrases("head of growth") == [
        ("head",),
        ("head", "of"),
        ("head", "of", "growth"),
        ("of", "growth"),
        ("growth",),
    ]


def test_a_search_looks_like_an_address_with_an_at_or_a_dot() -> None:
    assert names_an_address("@example.org") and names_an_address("mailbox.test")
    assert not names_an_address("pricing saas") and not names_an_address("etc.")


def test_tags_weigh_most_then_the_headline_then_the_bio() -> None:
    tag, headline, bio = (
        MatchScore(1, False, False),
        MatchScore(0, True, True),
        MatchScore(0, False, True),
    )
    assert tag.value > headline.value > bio.value > MatchScore(0, False, False).value == 0
