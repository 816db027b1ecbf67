""""How many X?" is answered by a count of X, not by any figure near the question's words."""

from __future__ import annotations

from app.answer.direct import direct_answer
from app.question import analyse
from app.retrieve import Hit
from tests.test_named_facts import chunk

OVERHAUL = chunk("o", "Alert fatigue fell by 50%, measured as actionable-versus-total pages per "
                      "on-call week. Engineers on call slept through more nights.",
                 "https://example.org/instagram-on-call", "Rebuilding on-call at Instagram")
ROTATION = chunk("r", "Two engineers are on call each week at Instagram, a primary and a backup.",
                 "https://example.org/instagram-rotation", "The Instagram rotation")


def test_a_percentage_does_not_answer_how_many_engineers() -> None:
    asked = analyse("How many engineers are on call each week at Instagram?")
    assert direct_answer(asked, [Hit(OVERHAUL, 1.0, 0.9, 1.0)]) is None


def test_the_count_of_the_asked_noun_answers_it_even_ranked_lower() -> None:
    asked = analyse("How many engineers are on call each week at Instagram?")
    found = direct_answer(asked, [Hit(OVERHAUL, 1.0, 0.9, 1.0), Hit(ROTATION, 0.6, 0.7, 0.2)])
    assert found is not None and found.lines[0][1][0].text.startswith("Two engineers")


def test_how_much_questions_still_take_any_figure() -> None:
    asked = analyse("By how much did alert fatigue fall at Instagram?")
    found = direct_answer(asked, [Hit(OVERHAUL, 1.0, 0.9, 1.0)])
    assert found is not None and "50%" in found.lines[0][1][0].text
