"""Support spread over several sentences and sources; partial verdicts name what is missing."""

from __future__ import annotations

import pytest

from app.check import CitationChecker, OfflineJudge, SourceText


@pytest.fixture(scope="module")
def checker(embedder) -> CitationChecker:
    return CitationChecker(OfflineJudge(embedder))


TIMEOUT = SourceText(id=1, text="Each request gives up after a 5-minute timeout.")
WINDOW = SourceText(id=2, text="Retries are spread over a 10-minute window.")
PAGE = SourceText(
    id=3,
    text=(
        "Priya Raman joined Stripe in 2016 as a backend engineer.\n"
        "She spent three years on the payments ledger.\n"
        "The company is headquartered in San Francisco.\n"
        "In 2019 she moved to the infrastructure group.\n"
        "There she led the migration of the billing databases."
    ),
)


def verdict(checker: CitationChecker, answer: str, sources: list[SourceText]):
    claims = [s for s in checker.check(answer, sources).sentences if s.verdict != "not_a_claim"]
    assert len(claims) == 1
    return claims[0]


def test_a_claim_needing_two_cited_sources_is_supported_by_both_together(checker) -> None:
    answer = "Requests time out after 5 minutes within a 10-minute retry window [1, 2]."
    sentence = verdict(checker, answer, [TIMEOUT, WINDOW])
    assert sentence.verdict == "supported", sentence
    assert [c.supports for c in sentence.citation_checks] == [False, False]
    assert [c.irrelevant for c in sentence.citation_checks] == [False, False]


def test_the_same_claim_citing_only_one_of_them_is_not_supported(checker) -> None:
    answer = "Requests time out after 5 minutes within a 10-minute retry window [1]."
    assert verdict(checker, answer, [TIMEOUT, WINDOW]).verdict != "supported"


def test_support_spread_over_several_sentences_of_a_page_counts(checker) -> None:
    answer = (
        "Priya Raman joined Stripe in 2016 and later led the migration of the billing "
        "databases [3]."
    )
    assert verdict(checker, answer, [PAGE]).verdict == "supported"


def test_a_partial_verdict_names_the_words_no_source_backs(checker) -> None:
    answer = (
        "Priya Raman joined Stripe in 2016 as a backend engineer, and she won the Turing "
        "Award for it [3]."
    )
    sentence = verdict(checker, answer, [PAGE])
    assert sentence.verdict != "supported"
    assert "Turing" in (sentence.message or ""), sentence.message
