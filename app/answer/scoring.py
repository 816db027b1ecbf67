"""How well a candidate sentence answers the question: the extractive answerer's ranking function.

Similarity to the question dominates; the rest corrects what embedding similarity
gets wrong on this kind of text: it prefers sentences that merely restate the
question, sentences that lean on an unquoted one ("close that gap"), and one story's
events when the question asks what people generally do. The question's shape adds a
preference: the actions for "how did ...?", the imperatives for "how do I ...?", the
definitions for "what is ...?", the figure for "by how much ...?".

A question about what people in a role do as a whole ("what do great staff engineers
do?", see `Retrieval.broad`) is scored as a *trait* question: the best sentences
there state a behaviour ("Outcome owners watch the rollout themselves."), sum up their
own article (they are close to its title), and name no company, person or figure,
which belong to anecdotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.answer.cues import LEVELS, SHORT, Cues, acts_as, cues_of
from app.answer.lead import question_subject
from app.answer.quotes import Quote, answer_quotes, leans_back, opens_with_reference
from app.terms import overlap, term_set, words
from ingest.records import Chunk

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
REFERENCE_PENALTY = 0.1  # "close that gap": the gap was named in a sentence not quoted
# The question's shape: "by how much ...?" wants the figure, "how did they ...?" the
# actions ("The engineer built a detection pipeline ..."), "how do I ...?" the advice,
# "what is X?" the sentence that says what X is.
FIGURE_BONUS, ACTION_BONUS, ADVICE_BONUS, DEFINITION_BONUS = 0.08, 0.08, 0.06, 0.1
# A story question prefers what was done (under "Step 2: ...", "How the program was
# built") to the situation before it.
STEP_BONUS, BACKGROUND_PENALTY = 0.05, 0.05
# A question naming Robinhood is not answered from a page that never mentions it.
NAME_MISS_PENALTY = 0.12
# About another level than the question names: "A senior engineer plans in quarters"
# answers nothing about principal engineers.
OTHER_LEVEL_PENALTY = 0.1

# Trait questions. Question similarity alone favours any sentence that says "staff
# engineer"; similarity to the sentence's own article title (T_CENTRAL) favours the
# sentences that state the article's point, and the behaviour cue those that say
# what someone does. Anecdote marks (a company, a person, a figure, "one engineer at")
# and past tense mark a story, which a trait question does not ask for.
T_DENSE, T_CENTRAL, T_RETRIEVAL, T_LEXICAL = 0.3, 0.25, 0.1, 0.05
T_BEHAVIOUR = 0.15
T_IMPERATIVE_PENALTY = 0.04  # advice to the reader ("Pick one metric.") is not a trait
T_SUBJECT = 0.06  # opens with the question's subject: "Staff engineers ask whether ..."
T_NAME_PENALTY, T_FIGURE_PENALTY, T_SHORT_PENALTY = 0.1, 0.06, 0.06
T_REFERENCE_PENALTY = 0.12
# From an article titled after the question's subject ("Staff Engineer Archetypes" for
# "what do staff engineers do?"): an overview of the role, whose title names no trait.
T_ROLE_TITLE_PENALTY = 0.08
# Times the share of past-tense sentences in the article's candidates: an article that
# tells a story illustrates a trait, one that argues it states it.
T_STORY_PENALTY = 0.12
# An article states its point at its start: its first two chunks (intro, first section).
T_OPENING = 0.05
_OPENING_CHUNKS = 2

_CONTEXT = re.compile(r"\s*\([^()]*\)\s*(?=[?.!]*$)")  # a condensed follow-up's topic
_PAST_QUESTION = re.compile(r"\b(?:did|was|were|had)\b|\b\w+ed\b", re.IGNORECASE)
_STORY_QUESTION = re.compile(r"^\s*how\b", re.IGNORECASE)
_ASKS_FIGURE = re.compile(
    r"\bhow\s+(?:much|many|long|often|far|big|large|small|quickly|fast|soon)\b|\bby\s+how\b"
    r"|\bwhat\s+(?:percent|percentage|share|size|number)\b",
    re.IGNORECASE,
)
_ASKS_ADVICE = re.compile(
    r"^\s*(?:how\s+(?:do|can|should|could|would)\s+(?:i|we|you|one)\b|how\s+to\b"
    r"|what\s+should\s+(?:i|we)\b|(?:when|why)\s+should\s+(?:i|we)\b|how\s+should\b)",
    re.IGNORECASE,
)
_ASKS_DEFINITION = re.compile(
    r"^\s*what\s+(?:is|are|was|were)\s+(?:a|an|the)?\s*(?P<what>[^?]+?)\s*\??$"
    r"|\bdifference\s+between\s+(?P<pair>[^?]+?)\s*\??$"
    r"|^\s*what\s+(?:does|do)\s+(?P<mean>.+?)\s+mean\b",
    re.IGNORECASE,
)
# A proper noun of the question: capitalised after its first word ("Robinhood",
# "Portal", "CallPulse"); all-caps jargon (APK, CI) is matched by the terms anyway.
_QUESTION_NAME = re.compile(r"(?<=\S\s)([A-Z][a-z][\w’'-]*)")
_STEP_HEADING = re.compile(r"\b(?:step|phase|how\b.{0,30}\b(?:built|worked)|what\b.{0,20}\bdid|"
                           r"approach|solution|fix)\b", re.IGNORECASE)
_BACKGROUND_HEADING = re.compile(r"\b(?:situation|background|problem|context|challenge)\b",
                                 re.IGNORECASE)


@dataclass(frozen=True)
class QuestionProfile:
    """What of the question the scorer needs, computed once per answer."""

    vector: np.ndarray
    terms: frozenset[str]
    subject: frozenset[str]
    present_tense: bool
    traits: bool = False  # a broad question about what people do: see the module docstring
    story: bool = False  # "how did they ...?": the actions, step by step
    advice: bool = False  # "how do I ...?", "what should I ...?"
    wants_figure: bool = False  # "by how much ...?", "how many ...?"
    follow_up: bool = False  # condensed: "How big was the cohort (the L5 program)?"
    defines: frozenset[str] = frozenset()  # terms of what "what is X?" asks to define
    names: frozenset[str] = frozenset()  # proper nouns, lower-cased words
    levels: frozenset[str] = frozenset()  # career levels the question names
    # The role a "what do great X do?" question asks about, as it is written: "reviewer",
    # "reviewers" (its terms would also match "code reviews", the activity).
    agents: frozenset[str] = frozenset()

    @classmethod
    def of(cls, question: str, vector: np.ndarray, *, broad: bool = False) -> QuestionProfile:
        # A condensed follow-up carries its context in parentheses: its shape is the
        # shape of the part before them ("How big was the cohort (...)?").
        asked = _CONTEXT.sub("", question.strip())
        present = not _PAST_QUESTION.search(asked)
        wants_figure = bool(_ASKS_FIGURE.search(asked))
        definition = _ASKS_DEFINITION.search(asked)
        defined = next((g for g in definition.groups() if g), "") if definition else ""
        return cls(
            vector=vector,
            terms=term_set(question),
            subject=term_set(question_subject(asked)),
            present_tense=present,
            traits=broad and present and not wants_figure,
            story=not present and bool(_STORY_QUESTION.match(asked)) and not wants_figure,
            advice=bool(_ASKS_ADVICE.match(asked)),
            wants_figure=wants_figure,
            follow_up=asked != question.strip(),
            defines=term_set(defined),
            names=frozenset(w for name in _QUESTION_NAME.findall(question) for w in words(name)),
            levels=frozenset(w for w in words(question) if w in LEVELS),
            agents=_role_forms(question_subject(asked)),
        )


def score(
    quote: Quote,
    q: QuestionProfile,
    *,
    similarity: float,
    retrieval: float,
    centrality: float = 0.0,
    story_share: float = 0.0,
) -> float:
    """Relevance of one candidate quote to the question, roughly 0..1.

    `similarity` is the quote's cosine with the question, `retrieval` its chunk's fused
    retrieval score. Trait questions also use `centrality` (cosine with the article's
    title) and `story_share` (the share of narrative sentences among the article's
    candidates).
    """
    cues = cues_of(tuple(quote.sentence_texts()))
    if q.traits:
        return (_trait_score(quote, cues, q, similarity, retrieval, centrality)
                - T_STORY_PENALTY * story_share)
    value = (
        W_DENSE * similarity
        # per sentence: a pair must not win just by holding more of the question's words
        + W_LEXICAL * max(overlap(q.terms, t) for t in cues.sentence_terms)
        + W_NOVELTY * (1.0 - overlap(cues.terms, q.terms))
        + W_RETRIEVAL * retrieval
        + W_SUBJECT * overlap(q.subject, cues.opening_terms)
    )
    if len(cues.sentence_terms) > 1:
        value -= PAIR_PENALTY
    if opens_with_reference(quote.sentence_texts()[0]):  # fallback quotes only
        value -= ANAPHORA_PENALTY
    if q.present_tense and cues.narrative:
        value -= NARRATIVE_PENALTY
    if cues.refers_outside or (len(cues.sentence_terms) == 1 and leans_back(quote.text)):
        value -= REFERENCE_PENALTY
    if q.wants_figure and cues.figure:
        value += FIGURE_BONUS
    if q.story:
        value += ACTION_BONUS * cues.action + _heading_cue(quote.chunk)
    if q.advice and cues.imperative:
        value += ADVICE_BONUS
    if q.defines and cues.defines and cues.defines <= q.defines:
        value += DEFINITION_BONUS
    if q.names and not q.names & chunk_words(quote.chunk):
        value -= NAME_MISS_PENALTY
    if q.levels and cues.level and cues.level not in q.levels:
        value -= OTHER_LEVEL_PENALTY
    return value


def trait_eligible(quote: Quote) -> bool:
    """Whether a quote can win in a trait answer at all; the rest is not worth embedding.

    Stories (past tense, names, "one engineer at"), references to unquoted text and
    very short sentences lose by more than any similarity can make up.
    """
    cues = cues_of(tuple(quote.sentence_texts()))
    return not (cues.narrative or cues.anecdote or cues.refers_outside or cues.words < SHORT
                or leans_back(quote.sentence_texts()[0]))


def _trait_score(
    quote: Quote, cues: Cues, q: QuestionProfile, similarity: float, retrieval: float,
    centrality: float,
) -> float:
    value = (
        T_DENSE * similarity
        + T_CENTRAL * centrality
        + T_RETRIEVAL * retrieval
        + T_LEXICAL * max(overlap(q.terms, t) for t in cues.sentence_terms)
        + T_SUBJECT * _subject_opening(quote, cues, q)
    )
    if cues.imperative:
        value -= T_IMPERATIVE_PENALTY
    elif (cues.behaviour or acts_as(quote.sentence_texts()[0], q.agents)) and not cues.narrative:
        value += T_BEHAVIOUR
    if cues.narrative:
        value -= NARRATIVE_PENALTY
    if cues.anecdote:
        value -= T_NAME_PENALTY
    if cues.digits:
        value -= T_FIGURE_PENALTY
    if cues.refers_outside:
        value -= T_REFERENCE_PENALTY
    if cues.words < SHORT:
        value -= T_SHORT_PENALTY
    if len(cues.sentence_terms) > 1:
        value -= PAIR_PENALTY
    if leans_back(quote.sentence_texts()[0]):
        value -= ANAPHORA_PENALTY
    if quote.chunk.position < _OPENING_CHUNKS:
        value += T_OPENING
    if q.subject and q.subject & term_set(quote.chunk.title):
        value -= T_ROLE_TITLE_PENALTY
    if q.levels and cues.level and cues.level not in q.levels:
        value -= OTHER_LEVEL_PENALTY
    return value


def _subject_opening(quote: Quote, cues: Cues, q: QuestionProfile) -> float:
    """How much of the subject the quote opens with, when it opens with the role itself:
    "Code reviews are ..." shares the terms of "code reviewers" but is about the activity."""
    if q.agents and not q.agents & set(words(" ".join(quote.sentence_texts()[0].split()[:5]))):
        return 0.0
    return overlap(q.subject, cues.opening_terms)


def _role_forms(subject: str) -> frozenset[str]:
    """The singular and plural of the subject's last word: "code reviewers" -> reviewer(s)."""
    last = subject.split()[-1].lower() if subject.split() else ""
    if len(last) < 3 or not last.isalpha():
        return frozenset()
    one = last[:-1] if last.endswith("s") and not last.endswith("ss") else last
    return frozenset({one, one + "s"})


def _heading_cue(chunk: Chunk) -> float:
    headings = " > ".join(chunk.heading_path[1:])
    if _STEP_HEADING.search(headings):
        return STEP_BONUS
    return -BACKGROUND_PENALTY if _BACKGROUND_HEADING.search(headings) else 0.0


_CHUNK_WORDS: dict[str, frozenset[str]] = {}


def chunk_words(chunk: Chunk) -> frozenset[str]:
    """Every word of a chunk and its headings, lower-cased (memoised by chunk id)."""
    found = _CHUNK_WORDS.get(chunk.id)
    if found is None:
        if len(_CHUNK_WORDS) > 20_000:
            _CHUNK_WORDS.clear()
        found = _CHUNK_WORDS[chunk.id] = frozenset(
            words(" ".join([chunk.title, *chunk.heading_path, chunk.text])))
    return found


def analyse_ahead(chunk: Chunk) -> None:
    """Split `chunk` into its quotable sentences and read their cues now, into the caches
    `answer_quotes` and `cues_of` keep, so that the first question reaching the chunk
    does not pay for it (~8 of the ~20 ms a first pass costs over a repeat at 10k
    chunks; 8,000 chunks take ~3.6 s and ~36 MB; docs/performance.md)."""
    for quote in answer_quotes(chunk):
        cues_of(tuple(quote.sentence_texts()))
