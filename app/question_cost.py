"""A cap on what one question may cost: its length and how many questions it bundles.

Retrieval checks every part of a multi-part question against the store on its own, so the
work grows with the number of parts; a 2,000-character question of ~60 parts took 3.1 s
against ~0.1 s for an ordinary one. The caps keep one request from buying that much CPU.
"""

from __future__ import annotations

from app.coverage import split_question


class QuestionTooCostly(ValueError):
    """A question over the length or parts cap; the message says which and by how much."""

    code = "question_too_complex"
    field = "question"


def check_question_cost(question: str, *, max_chars: int, max_parts: int) -> None:
    """Raise `QuestionTooCostly` when `question` is longer or has more parts than allowed."""
    if len(question) > max_chars:
        raise QuestionTooCostly(
            f"question: {len(question)} characters, more than the {max_chars} allowed; "
            "ask a shorter question."
        )
    parts = len(split_question(question))
    if parts > max_parts:
        raise QuestionTooCostly(
            f"question: {parts} separate questions in one, more than the {max_parts} allowed; "
            "ask them one or a few at a time."
        )
