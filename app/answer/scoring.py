"""How well a candidate sentence answers the question: the extractive answerer's ranking function.

Similarity to the question dominates; the rest corrects what embedding similarity
gets wrong on this kind of text: it prefers sentences that merely restate the
question, and one story's events when the question asks what people generally do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.answer.lead import question_subject
from app.answer.quotes import Quote, leans_back
from app.terms import overlap, term_set

# Similarity dominates; lexical overlap rewards the question's own words, novelty the
# words a sentence adds (one that only restates the question, "the initiative reduced
# call drops", answers no "how"); the chunk's fused retrieval score breaks ties
# towards chunks both retrievers liked.
W_DENSE, W_LEXICAL, W_NOVELTY, W_RETRIEVAL = 0.55, 0.15, 0.15, 0.15
# "What do staff engineers do?" is answered by sentences about staff engineers:
# those that open with the question's subject ("A staff engineer owns outcomes ...").
W_SUBJECT = 0.1
PAIR_PENALTY = 0.03  # a two-sentence quote is longer to read than it is better
ANAPHORA_PENALTY = 0.15
NARRATIVE_PENALTY = 0.1

_PAST_QUESTION = re.compile(r"\b(?:did|was|were|had)\b|\b\w+ed\b", re.IGNORECASE)
# A past verb, but not a present passive ("is often handed a symptom").
_PAST_VERB = re.compile(
    r"\b(?<!is )(?<!are )(?<!be )(?<!been )(?<!being )(?<!get )(?<!gets )"
    r"(?:\w{3,}ed|was|were|had|did|took|made|built|led|became|wrote|found|grew|went|began|"
    r"gave|got|spent|saw|ran|cut|set|put)\b"
)


@dataclass(frozen=True)
class QuestionProfile:
    """What of the question the scorer needs, computed once per answer."""

    vector: np.ndarray
    terms: frozenset[str]
    subject: frozenset[str]
    present_tense: bool

    @classmethod
    def of(cls, question: str, vector: np.ndarray) -> QuestionProfile:
        return cls(
            vector=vector,
            terms=term_set(question),
            subject=term_set(question_subject(question)),
            present_tense=not _PAST_QUESTION.search(question),
        )


def score(quote: Quote, vector: np.ndarray, retrieval_score: float, q: QuestionProfile) -> float:
    """Relevance of one candidate quote to the question, roughly 0..1."""
    sentences = quote.sentence_texts()
    quote_terms = term_set(quote.text)
    value = (
        W_DENSE * float(vector @ q.vector)
        # per sentence: a pair must not win just by holding more of the question's words
        + W_LEXICAL * max(overlap(q.terms, term_set(s)) for s in sentences)
        + W_NOVELTY * (1.0 - overlap(quote_terms, q.terms))
        + W_RETRIEVAL * retrieval_score
        + W_SUBJECT * overlap(q.subject, term_set(" ".join(quote.text.split()[:5])))
    )
    if len(sentences) > 1:
        value -= PAIR_PENALTY
    if leans_back(sentences[0]):  # only fallback quotes can: answer quotes are resolved
        value -= ANAPHORA_PENALTY
    if q.present_tense and is_narrative(quote.text):
        value -= NARRATIVE_PENALTY
    return value


def is_narrative(text: str) -> bool:
    """Past-tense storytelling: a past verb among the first ten words."""
    return bool(_PAST_VERB.search(" ".join(text.split()[:10])))
