"""Does the answer answer? A judgement next to the citation check's "is it cited?".

A cited answer can quote the right page and still miss the question: the sentence before
the criteria, the interviewer's question, a neighbouring table row. The judgement reads
what the question asks for (app.question) and the quotes the answer relies on:

- a number, a duration or a name is answered only by a quote that carries one and shares
  the question's focus words;
- anything else by quotes holding most of the question's focus words between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.answer.direct import carries_under
from app.models import Relevance
from app.question import QuestionAnalysis
from app.terms import overlap, term_set

# Pass marks set by hand on the dev side of eval/datasets/corpus_questions.jsonl, from the
# answers that did and did not contain their key points (docs/answers.md): a fact quote
# must share a third of the focus words, a survey must hold half of them between its quotes.
FACT_PASS, SURVEY_PASS = 0.34, 0.5
_WHAT = {"number": "figure", "duration": "duration", "name": "name", "list": "list"}


def judge_relevance(
    analysis: QuestionAnalysis, quotes: Sequence[tuple[str, str]], covered: bool | str
) -> Relevance:
    """Whether the quotes behind the answer contain what `analysis` asks for. Each quote
    comes with its context (its page title and headings), which says which list or
    section a figure belongs to."""
    if covered is False or not quotes:
        return Relevance(answers_question=False, score=0.0,
                         reason="The sources do not cover the question.")
    focus = analysis.focus
    if not focus:
        return Relevance(answers_question=True, score=1.0, reason="The question names no topic.")
    if analysis.wants_fact:
        asked = _WHAT[analysis.kind]
        # A quote read with its neighbours in the answer: an item under its lead-in, a
        # table row under its header row, a figure beside the sentence naming whose it is.
        texts = ["", *(q for q, _ in quotes), ""]
        fitting = [overlap(focus, term_set(" ".join((texts[i], q, context, texts[i + 2]))))
                   for i, (q, context) in enumerate(quotes)
                   if carries_under(analysis.kind, q, texts[i])]
        score = max(fitting, default=0.0)
        if not fitting:
            reason = f"No quoted sentence gives the {asked} the question asks for."
        elif score < FACT_PASS:
            reason = f"The quoted {asked}s are not about what the question asks."
        else:
            reason = f"A quoted sentence gives the {asked} asked for."
        return Relevance(answers_question=score >= FACT_PASS, score=round(score, 4),
                         reason=reason)
    held = term_set(" ".join(q for q, _ in quotes))
    score = overlap(focus, held)
    missing = sorted(focus - held)
    if score >= SURVEY_PASS:
        reason = "The quoted sentences are about what the question asks."
    else:
        reason = ("The quoted sentences say little about what the question asks "
                  f"({len(missing)} of its {len(focus)} key words are missing).")
    return Relevance(answers_question=score >= SURVEY_PASS, score=round(score, 4),
                     reason=reason)
