"""How well a candidate sentence answers the question: the extractive answerer's ranking function.

Similarity to the question dominates; the rest corrects what embedding similarity
gets wrong on this kind of text: it prefers sentences that merely restate the
question, sentences that lean on an unquoted one ("close that gap"), and one story's
events when the question asks what people generally do.

A broad question about people ("what do great staff engineers do?") is scored as a
*trait* question: the best sentences there state a behaviour ("Outcome owners watch
the rollout themselves."), sum up their own article (they are close to its title),
and name no company, person or figure, which belong to anecdotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.answer.lead import question_subject
from app.answer.quotes import Quote, leans_back
from app.terms import overlap, term_set, words

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
REFERENCE_PENALTY = 0.06  # "close that gap": the gap was named in a sentence not quoted
FIGURE_BONUS = 0.08  # "by how much ...?" is answered by the sentence with the number

# Trait questions. Question similarity alone favours any sentence that says "staff
# engineer"; similarity to the sentence's own article title (W_CENTRAL) favours the
# sentences that state the article's point, and the behaviour cue those that say
# what someone does. Anecdote marks (a company, a person, a figure, "one engineer at")
# and past tense mark a story, which a trait question does not ask for.
T_DENSE, T_CENTRAL, T_RETRIEVAL, T_LEXICAL = 0.3, 0.25, 0.1, 0.05
T_BEHAVIOUR = 0.15
T_IMPERATIVE_PENALTY = 0.04  # advice to the reader ("Pick one metric.") is not a trait
T_SUBJECT = 0.06  # opens with the question's subject: "Staff engineers ask whether ..."
# About another level than the question's: "A principal engineer owns outcomes for an
# entire organization" does not say what staff engineers do.
T_OTHER_LEVEL_PENALTY = 0.1
# From an article titled after the question's subject ("Staff Engineer Archetypes" for
# "what do staff engineers do?"): an overview of the role, whose title names no trait.
T_ROLE_TITLE_PENALTY = 0.08
# Times the share of past-tense sentences in the article's candidates: an article that
# tells a story illustrates a trait, one that argues it states it.
T_STORY_PENALTY = 0.12
# An article states its point at its start: its first two chunks (intro, first section).
T_OPENING = 0.05
_OPENING_CHUNKS = 2
_LEVELS = frozenset(["intern", "junior", "mid", "senior", "staff", "principal", "distinguished",
                     "fellow", "manager", "director", "vp", "l3", "l4", "l5", "l6", "l7", "l8"])
T_NAME_PENALTY, T_FIGURE_PENALTY, T_SHORT_PENALTY = 0.1, 0.06, 0.06
T_REFERENCE_PENALTY = 0.12
_SHORT = 7  # words: "It does not scale." says little on its own

_PAST_QUESTION = re.compile(r"\b(?:did|was|were|had)\b|\b\w+ed\b", re.IGNORECASE)
# A past verb, but not a present passive ("is often handed a symptom").
_PAST_VERB = re.compile(
    r"\b(?<!is )(?<!are )(?<!be )(?<!been )(?<!being )(?<!get )(?<!gets )"
    r"(?:\w{3,}ed|was|were|had|did|took|made|built|led|became|wrote|found|grew|went|began|"
    r"gave|got|spent|saw|ran"
    # "set", "cut", "put" are present tense too: "engineers rarely set direction alone".
    r"|(?<!s )(?<!ly )(?:cut|set|put))\b"
)
_ASKS_FIGURE = re.compile(
    r"\bhow\s+(?:much|many|long|often|far|big|large|small|quickly|fast|soon)\b|\bby\s+how\b"
    r"|\bwhat\s+(?:percent|percentage|share|size|number)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d|%|\$|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|half|a third|a quarter|a fifth)\b",
                     re.IGNORECASE)
_DIGITS = re.compile(r"\d|%|\$")

# Who acts in a trait sentence: people in a role, named by their role.
_AGENT = (r"(?:engineers?|owners?|leaders?|leads?|mentors?|sponsors?|specialists?|fixers?|"
          r"solvers?|architects?|hybrids?|principals?|seniors?|people|ics?)")
# "<up to three modifiers> <agent> [who/with ... ] [adverb/modal] <present verb>",
# optionally after a short opening clause ("When a framework surprises them, ...").
_BEHAVIOUR = re.compile(
    r"^(?:(?:when|if|once|before|after|at|in|for)\b[^,]{0,60},\s*)?"
    rf"(?:[\w+’'-]+\s+){{0,3}}{_AGENT}\b"
    r"(?:\s+(?:who|that|whom|with)\b[^,.;]{0,50}?)?"
    r"\s+(?:(?:also|often|rarely|usually|still|always|never|can|keep|tend to)\s+)?"
    r"(?!(?:is|are|was|were|had|has|have|do|does|and|or|but|of|to|in|on|at|for|with|from|by|"
    r"as|who|that|whom|the|a|an)\b)[a-z]+\b",
    re.IGNORECASE,
)
# Verbs advice opens with: "Ask each person ...", "Pair juniors with seniors ...". An
# imperative has no subject, so it states no one's behaviour.
_IMPERATIVE_VERBS = frozenset(
    ["ask", "pick", "record", "decide", "put", "write", "talk", "include", "take", "look",
     "aim", "avoid", "start", "stop", "use", "make", "keep", "build", "hand", "pair",
     "delegate", "choose", "agree", "let", "give", "bring", "report", "share", "raise",
     "open", "state", "summarize", "summarise", "move", "track", "count", "survey",
     "convert", "treat", "classify", "tie", "size", "find", "run", "set", "read", "revisit",
     "update", "reserve", "explain", "offer", "notice", "replace", "answer", "fix",
     "reproduce", "profile", "change", "review", "document", "follow", "close", "measure",
     "call", "get", "go", "try", "think", "plan", "focus", "learn", "remember", "consider",
     "create", "define", "identify", "invest", "lead", "listen", "prepare", "protect",
     "schedule", "send", "show", "spend", "teach", "test", "turn", "volunteer", "walk",
     "watch", "work", "describe", "name", "list", "call", "drop", "cut", "add", "check",
     "don’t", "don't", "never", "always", "be", "do", "say", "tell", "help", "invite"]
)  # fmt: skip
# A capitalised word after a lower-case one: a company, product or person ("at Meta",
# "Will Larson"); all-caps jargon (CI, APK, L5) is not a name.
_NAME = re.compile(r"(?<=[a-z,;:]\s)[A-Z][a-z]+")
_ONE_ACTOR = re.compile(r"\b(?:one|an?)\s+(?:\w+\s+){0,2}engineers?\s+(?:at|in|from|we)\b",
                        re.IGNORECASE)
# Mid-sentence references to something the quote does not contain: "close that gap",
# "makes this possible", "such teams", "an engineer there". "that" is a reference only
# before a word that does not start a clause ("that everyone", "that the", "that makes").
_DEMONSTRATIVE = re.compile(
    r"(?<!^)\b(?:this|these|those|such)\b(?!\s+(?:piece|article|post|guide)\b)"
    r"|(?<!so )(?<!such )(?<!now )\bthat\s+"
    r"(?!(?:the|a|an|is|are|was|were|can|could|will|would|should|may|might|must|they|it|you|we|he|she|someone|everyone|anyone|nobody|people|other|others|their|its|"
    r"your|his|her|no|not|every|each|all|most|many|some|any|what|who|how|when|where|why|"
    r"one|two|three|if|in|on|at|to|for|by|with|from|of|as|so|still|only|also|often|just|"
    r"really|much|more|less|matters?|helps?|works?|requires?)\b)(?![a-z]+(?:s|ed|ly)\b)"
    r"[a-z]+\b"
    r"|\b(?:engineers?|people|teams?|compan(?:y|ies)|managers?|leaders?|everyone)\s+there\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionProfile:
    """What of the question the scorer needs, computed once per answer."""

    vector: np.ndarray
    terms: frozenset[str]
    subject: frozenset[str]
    present_tense: bool
    traits: bool  # a broad question about what people do: see the module docstring
    wants_figure: bool  # "by how much ...?", "how many ...?"
    levels: frozenset[str] = frozenset()  # career levels the question names

    @classmethod
    def of(cls, question: str, vector: np.ndarray, *, broad: bool = False) -> QuestionProfile:
        present = not _PAST_QUESTION.search(question)
        wants_figure = bool(_ASKS_FIGURE.search(question))
        return cls(
            vector=vector,
            terms=term_set(question),
            subject=term_set(question_subject(question)),
            present_tense=present,
            traits=broad and present and not wants_figure,
            wants_figure=wants_figure,
            levels=frozenset(w for w in words(question) if w in _LEVELS),
        )


def score(
    quote: Quote,
    vector: np.ndarray,
    retrieval_score: float,
    q: QuestionProfile,
    title_vector: np.ndarray | None = None,
    story_share: float = 0.0,
) -> float:
    """Relevance of one candidate quote to the question, roughly 0..1.

    `title_vector` (the embedding of the quote's article title) and `story_share` (the
    share of narrative sentences among its article's candidates) are used for trait
    questions only.
    """
    if q.traits:
        return (_trait_score(quote, vector, retrieval_score, q, title_vector)
                - T_STORY_PENALTY * story_share)
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
    if refers_outside(quote):
        value -= REFERENCE_PENALTY
    if q.wants_figure and _DIGITS.search(quote.text):
        value += FIGURE_BONUS
    return value


def _trait_score(
    quote: Quote,
    vector: np.ndarray,
    retrieval_score: float,
    q: QuestionProfile,
    title_vector: np.ndarray | None,
) -> float:
    sentences = quote.sentence_texts()
    text = quote.text
    central = float(vector @ title_vector) if title_vector is not None else 0.0
    value = (
        T_DENSE * float(vector @ q.vector)
        + T_CENTRAL * central
        + T_RETRIEVAL * retrieval_score
        + T_LEXICAL * max(overlap(q.terms, term_set(s)) for s in sentences)
    )
    narrative = is_narrative(text)
    if is_imperative(sentences[0]):
        value -= T_IMPERATIVE_PENALTY
    elif states_behaviour(sentences[0]) and not narrative:
        value += T_BEHAVIOUR
    if narrative:
        value -= NARRATIVE_PENALTY
    if is_anecdote(text):
        value -= T_NAME_PENALTY
    if _DIGITS.search(text):
        value -= T_FIGURE_PENALTY
    if refers_outside(quote):
        value -= T_REFERENCE_PENALTY
    if len(text.split()) < _SHORT:
        value -= T_SHORT_PENALTY
    if quote.chunk.position < _OPENING_CHUNKS:
        value += T_OPENING
    if q.subject and q.subject & term_set(quote.chunk.title):
        value -= T_ROLE_TITLE_PENALTY
    opening = text.split()[:5]
    value += T_SUBJECT * overlap(q.subject, term_set(" ".join(opening)))
    if q.levels and _other_level(opening, q.levels):
        value -= T_OTHER_LEVEL_PENALTY
    if len(sentences) > 1:
        value -= PAIR_PENALTY
    if leans_back(sentences[0]):
        value -= ANAPHORA_PENALTY
    return value


def is_narrative(text: str) -> bool:
    """Past-tense storytelling: a past verb among the first ten words."""
    return bool(_PAST_VERB.search(" ".join(text.split()[:10])))


def states_behaviour(sentence: str) -> bool:
    """ "Outcome owners watch the rollout themselves.", "Engineers with depth profile
    first": people named by their role, then what they do (not what they are)."""
    return bool(_BEHAVIOUR.match(sentence))


def trait_eligible(quote: Quote) -> bool:
    """Whether a quote can win in a trait answer at all; the rest is not worth embedding.

    Stories (past tense, names, "one engineer at"), references to unquoted text and
    very short sentences lose by more than any similarity can make up.
    """
    text = quote.text
    first = quote.sentence_texts()[0]
    return not (is_narrative(text) or is_anecdote(text) or refers_outside(quote)
                or leans_back(first) or len(text.split()) < _SHORT)


def _other_level(opening: list[str], levels: frozenset[str]) -> bool:
    """The first words name a career level the question does not ("A principal engineer");
    "senior+" includes every level above senior, so it is no other level."""
    for word in opening:
        if word.endswith("+"):
            continue
        token = word.strip(",.;:’'").lower()
        if token in _LEVELS:
            return token not in levels
    return False


def is_imperative(sentence: str) -> bool:
    """Advice to the reader: the sentence opens with a verb ("Pick one primary metric.")."""
    first = sentence.split(maxsplit=1)[0].strip(",.;:").lower() if sentence.strip() else ""
    return first in _IMPERATIVE_VERBS


def is_anecdote(text: str) -> bool:
    """Names a company, product or person, or "one engineer at ...": part of a story."""
    return bool(_NAME.search(text) or _ONE_ACTOR.search(text))


def refers_outside(quote: Quote) -> bool:
    """A demonstrative pointing at something the quote does not contain ("that gap")."""
    sentences = quote.sentence_texts()
    # In a pair, the second sentence's "this" may point at the first: only the first counts.
    return bool(_DEMONSTRATIVE.search(sentences[0]))
