"""Question analysis: the words that say what kind of answer is wanted are not its topic."""

import pytest

from app.question import analyse


@pytest.mark.parametrize(
    "question, kind, topic, shape_word",
    [
        ("How long must you be a member before becoming a reviewer?", "duration",
         {"member", "review"}, "long"),
        ("How often do they post status updates?", "duration", {"post", "updat"}, "often"),
        ("How big should a pull request be?", "number", {"pull", "request"}, "big"),
    ],
)
def test_how_words_shape_the_question_but_are_not_its_focus(question, kind, topic, shape_word):
    analysis = analyse(question)
    assert analysis.kind == kind
    assert topic <= analysis.focus
    # "untouched after too long" must not look on-topic for "how long ...?"
    assert shape_word not in analysis.focus


def test_a_topic_word_that_follows_how_elsewhere_stays_in_focus():
    analysis = analyse("What makes a long-running project succeed?")
    assert "long" in analysis.focus
