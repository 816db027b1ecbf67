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


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        # A rate's period is not a figure: only "three hours" has to be stated.
        ("Engineers are on call twice a year, about three hours a year.",
         "Most engineers take ~2 shifts per year, so the cost is ~3h per year."),
        ("It takes up to an hour and a half per week.", "It takes up to ~1.5 hours per week."),
        ("The sync is half an hour.", "The sync is 30 minutes."),
        ("Hold a weekly half-hour one-on-one.", "Hold a 30-minute one-on-one every week."),
        ("The project ran for two and a half years.", "The project ran for 2.5 years."),
        ("The prep takes 30 minutes.", "Prep: 30min."),
        # A date spread over the evidence: day and month in one place, the year in another.
        ("The guide was published on October 6, 1995.",
         "It was 1995. The guide was published on October 6th."),
        ("The handbook changed in May 2018.", "Last updated 2018-05-03."),
        ("More than 2000 engineers took part.", "More than 2,000 engineers took part."),
    ],
)
def test_rates_half_units_glued_units_and_spread_dates_are_stated(claim: str, source: str) -> None:
    assert missing(claim, source) == []


def test_an_ordinal_is_not_a_fraction_but_a_share_is() -> None:
    assert extract_numbers("The rotation entered a fifth season.") == ()
    assert missing("A fifth of the budget went to tooling.",
                   "20% of the budget went to tooling.") == []  # fmt: skip
    assert missing("The sync is an hour and a half.", "The sync is an hour.") == [
        "an hour and a half"
    ]
    assert missing("The handbook changed in June 2018.", "Last updated 2018-05-03.") == [
        "june 2018"
    ]


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        # "not just X" asserts X; "including but not limited to X" lists X.
        ("Reviewers care about the speed of the review.",
         "Reviewers care about the whole process, not just the speed of the review."),
        ("Hiring looks at college degrees among other things.",
         "We look at many sources, including but not limited to college degrees."),
        # A contrast sets something aside without denying it.
        ("Their focus is design questions, while people growth belongs to the chairs.",
         "Leads focus on design questions rather than people growth."),
        ("The change keeps a launch from being rolled back.",
         "The change lets a launch continue instead of rolling back."),
        ("What counts is each reply, not how fast the whole change is submitted.",
         "What counts is the reply time, as opposed to how fast the whole change is submitted."),
        # "no more than five" bounds a figure; it denies nothing.
        ("Keep the summary to no more than five sentences.",
         "Keep the summary to five sentences or fewer."),
        # The same denial, with the subject before the negation on one side.
        ("The government has no promotions in the private-sector sense.",
         "Promotions in the private-sector sense do not exist in the government."),
    ],
)
def test_contrasts_and_not_just_are_not_reversals(claim: str, source: str) -> None:
    assert negation(claim, source) is None


def test_a_denied_reason_still_reads_as_a_negation() -> None:
    # "not because someone mandated them" denies the mandate, past the connective.
    assert negation("The tools spread because leadership mandated them.",
                    "The tools spread because people wanted them, not because someone "
                    "mandated them.")  # fmt: skip
    assert negation("Promotions in the private-sector sense exist in the government.",
                    "Promotions in the private-sector sense do not exist in the government.")
