"""Figures compared as values, vague magnitudes as the ranges they span."""

from __future__ import annotations

import pytest

from app.check.numbers import extract_numbers, missing_numbers


def missing(claim: str, source: str) -> list[str]:
    return missing_numbers(extract_numbers(claim), extract_numbers(source))


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("Alert noise fell by half.", "Alert noise fell by 50%."),
        ("It saved $10 million.", "It saved $10M."),
        ("Three teams adopted it.", "3 teams adopted it."),
        ("Hundreds of engineers used it.", "About 300 engineers used it."),
        ("Hundreds of engineers used it.", "Several hundred engineers used it."),
        ("Dozens of services broke.", "Forty services broke."),
    ],
)
def test_the_same_figure_in_other_words_is_stated(claim: str, source: str) -> None:
    assert missing(claim, source) == []


@pytest.mark.parametrize(
    ("claim", "source", "named"),
    [
        ("Dozens of storage requests followed.", "Hundreds of storage requests followed.",
         "dozens"),
        ("Several thousand engineers used it.", "Several hundred engineers used it.",
         "several thousand"),
        # More precise than its source: "hundreds" does not state 300.
        ("300 engineers used it.", "Hundreds of engineers used it.", "300"),
        ("Alert noise fell by 5%.", "Alert noise fell by 50%.", "5%"),
    ],
)
def test_a_changed_figure_or_magnitude_is_named(claim: str, source: str, named: str) -> None:
    assert missing(claim, source) == [named]
