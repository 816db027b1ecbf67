"""Meaning-level comparisons the checker makes between a claim and its evidence.

Each pair below is a real shape of paraphrase or error: figures in words and digits, fractions,
durations with units, dates in any order, entity variants and polarity without a "not".
"""

from __future__ import annotations

import pytest

from app.check.evidence import (
    antonym_issue,
    index_source,
    level_issue,
    name_issue,
    negation_issue,
)
from app.check.features import analyse
from app.check.numbers import extract_numbers, missing_numbers


def missing(claim: str, source: str) -> list[str]:
    return missing_numbers(extract_numbers(claim), extract_numbers(source))


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("Two thirds of the teams adopted it.", "Two-thirds of the teams adopted it."),
        ("Two thirds of the teams adopted it.", "2/3 of the teams adopted it."),
        ("The outage lasted two weeks.", "The outage lasted 14 days."),
        ("Replies are expected within a week.", "Replies are expected within 7 days."),
        ("The album came out on 28 June 2019.", "The album came out on June 28, 2019."),
        ("The album came out in June 2019.", "The album came out on 28 June 2019."),
        ("The album came out in 2019.", "The album came out on June 28, 2019."),
        ("A 5-minute timeout applies.", "The timeout is five minutes."),
    ],
)
def test_the_same_quantity_in_other_words_is_stated(claim: str, source: str) -> None:
    assert missing(claim, source) == []


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("Replies are expected within a week.", "Replies are expected within a month."),
        ("The outage lasted two weeks.", "The outage lasted two days."),
        ("The album came out on 28 July 2019.", "The album came out on June 28, 2019."),
        ("The album came out on 28 June 2019.", "The album came out in June 2019."),
        ("One third of the teams adopted it.", "Two thirds of the teams adopted it."),
    ],
)
def test_a_changed_unit_date_or_fraction_is_a_mismatch(claim: str, source: str) -> None:
    assert missing(claim, source) != []


def names(claim: str, source: str) -> str | None:
    return name_issue(analyse(claim), [index_source(source)])


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("She moved to New York City in 2010.", "She moved to New York in 2010."),
        ("He joined the Site Reliability Engineering team.", "He joined the SRE team."),
    ],
)
def test_entity_variants_match(claim: str, source: str) -> None:
    assert names(claim, source) is None


def test_a_different_name_is_an_entity_mismatch() -> None:
    assert names("She moved to Boston in 2010.", "She moved to New York in 2010.") is not None


@pytest.mark.parametrize("code", ["L5", "IC5", "E5", "level 5"])
def test_ladder_levels_with_the_same_number_match(code: str) -> None:
    assert level_issue(analyse(f"She was promoted to {code}."), [index_source("She reached L5.")]) \
        is None


def test_a_different_level_is_a_mismatch() -> None:
    assert level_issue(analyse("She was promoted to IC6."), [index_source("She reached L5.")])


def negation(claim: str, source: str) -> str | None:
    return negation_issue(analyse(claim), [analyse(source)])


def test_an_un_word_and_a_not_say_the_same_thing() -> None:
    assert negation("Most pages went unacknowledged.", "Most pages were not acknowledged.") is None
    assert negation("Most pages were not acknowledged.", "Most pages went unacknowledged.") is None


def test_a_real_reversal_is_a_negation() -> None:
    assert negation("Most pages were acknowledged.", "Most pages went unacknowledged.")
    assert negation("The team did not adopt the rotation.", "The team adopted the rotation.")


def test_an_antonym_on_the_aligned_sentence_is_a_reversal() -> None:
    source = [analyse("Latency decreased after the migration.")]
    assert antonym_issue(analyse("Latency increased after the migration."), source)
    assert antonym_issue(analyse("Latency decreased after the migration."), source) is None
