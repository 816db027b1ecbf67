"""Sentence splitting on real-page text: abbreviations, initials and unpunctuated title lines."""

from __future__ import annotations

import pytest

from app.check.sentences import sentence_spans


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The single reached No. 1 in the chart. It stayed there.",
            ["The single reached No. 1 in the chart.", "It stayed there."],
        ),
        (
            "The film was directed by A.V. Rockwell in 2023. It premiered at Sundance.",
            ["The film was directed by A.V. Rockwell in 2023.", "It premiered at Sundance."],
        ),
        (
            "For the second step I recommend Y. Then measure again.",
            ["For the second step I recommend Y.", "Then measure again."],
        ),
        (
            "The talk was given by John F. Kennedy in Berlin. It was short.",
            ["The talk was given by John F. Kennedy in Berlin.", "It was short."],
        ),
        ("I said no. Then I left.", ["I said no.", "Then I left."]),
        (
            "The ruling in Keller v. Ames Council set the rule. Appeals followed.",
            ["The ruling in Keller v. Ames Council set the rule.", "Appeals followed."],
        ),
        (
            "The ledger dates from c. 1720 and survives. It was rebound.",
            ["The ledger dates from c. 1720 and survives.", "It was rebound."],
        ),
        ("Pick option c. Then go on.", ["Pick option c.", "Then go on."]),
    ],
)
def test_abbreviations_and_initials_end_a_sentence_only_when_they_should(
    text: str, expected: list[str]
) -> None:
    assert split(text) == expected


def test_title_and_metadata_lines_are_not_merged_into_the_prose_under_them() -> None:
    page = (
        "(meta data) TITLE: About Us - Trade Weekly\nSkip to content\nTrade Weekly\n# About Us\n"
        "Trade Weekly covers the home video business.\nIt was founded in 1992."
    )
    assert split(page) == [
        "(meta data) TITLE: About Us - Trade Weekly",
        "Skip to content",
        "Trade Weekly",
        "# About Us",
        "Trade Weekly covers the home video business.",
        "It was founded in 1992.",
    ]


def test_a_hard_wrapped_prose_line_stays_one_sentence() -> None:
    text = (
        "Reviewers should respond to a change within one business day at most, even when\n"
        "they are busy with other work."
    )
    assert split(text) == [text]
