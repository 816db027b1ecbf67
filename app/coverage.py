"""Pure helpers for deciding which parts of a question the sources can answer.

A multi-part question ("what do staff engineers do and what's the best pizza in
Naples?") is split into parts that stand on their own, so that each can be checked
against the store separately and the unsupported ones named back to the user.
"""

from __future__ import annotations

import re
from collections.abc import Container

from app.terms import STOPWORDS, stem, terms, words

# A new part starts at "?" or ";", and at "and"/"," only when a new question follows:
# "mentoring and sponsorship" is one topic, "... and what's the best pizza" is two.
_CLAUSE_START = (
    r"(?:what|what's|whats|how|why|when|where|who|which|is|are|was|were|do|does|did|can|"
    r"could|should|would|will|tell|explain|describe|give|list)\b"
)
_HARD_SPLIT = re.compile(r"[?;]+")
_SOFT_SPLIT = re.compile(
    rf"\s*(?:,\s*(?:and\s+|but\s+|also\s+)?|\s+and\s+(?:also\s+)?)(?={_CLAUSE_START})",
    re.IGNORECASE,
)

# Words that point back at something said earlier: a part that uses them is not a
# question of its own ("how did they measure it") and stays with its neighbour.
ANAPHORA = frozenset(
    ["it", "its", "they", "them", "their", "this", "that", "these", "those", "he", "she", "him",
     "her", "his", "there", "such", "same"]
)

_CONNECTIVE = re.compile(r"^(?:and|also|but|or|so|then|plus)\s+", re.I)
# "Can you recommend a good novel?" is a request as much as "Recommend a good novel".
_IMPERATIVE = re.compile(
    r"^(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?"
    r"(?:tell me|explain|describe|recommend|suggest|give me|show me|list)"
    r"\s+(?:about\s+)?", re.I)
_WHAT_IS = re.compile(r"^(?:what|which|who)(?:'s|’s|\s+is|\s+are|\s+was|\s+were)\s+", re.I)
_HOW_DO_I = re.compile(r"^how\s+(?:do|can|should|could|would)\s+(?:i|we|you|one)\s+", re.I)

# Questions about what people in a role do, as a whole: "what do great staff engineers
# do?", "what makes a good tech lead?", "what habits do effective principals have?".
# Anchored at both ends: "what do staff engineers do to multiply their team?" and "...
# do differently from staff?" ask something narrower.
_PRAISE = r"(?:(?:great|good|best|effective|successful|strong|excellent|top)\s+)?"
_PEOPLE = r"(?:[\w+-]+\s+){0,3}?(?:engineers?|leads?|managers?|architects?|developers?|principals?)"
_TRAIT_SHAPES = re.compile(
    rf"^(?:what|which\s+things)\s+(?:do|does)\s+(?:the\s+)?{_PRAISE}{_PEOPLE}\s+(?:really\s+)?do"
    rf"|^what\s+makes\s+(?:(?:a|an|the)\s+)?{_PRAISE}{_PEOPLE}"
    r"(?:\s+(?:great|good|effective|successful|excellent|stand\s+out))?"
    rf"|^what\s+(?:habits|traits|qualities|skills|behaviou?rs|characteristics|attributes)\s+"
    rf"(?:do|does)\s+{_PRAISE}{_PEOPLE}\s+(?:have|share|show|need)",
    re.IGNORECASE,
)


def split_question(question: str) -> list[str]:
    """Independent parts of a question, in order; a single-part question gives one part.

    A fragment with fewer than two content terms or with a pronoun referring back
    ("and why?", "what did they measure") is merged into the part before it.
    """
    pieces: list[str] = []
    for sentence in _HARD_SPLIT.split(question):
        pieces.extend(p for p in _SOFT_SPLIT.split(sentence) if p and p.strip(" ,."))
    parts: list[str] = []
    for piece in (p.strip(" ,.") for p in pieces):
        if parts and not _stands_alone(piece):
            joiner = " and " if _starts_clause(piece) else ", "
            parts[-1] = f"{parts[-1]}{joiner}{piece}"
        else:
            parts.append(piece)
    # A dependent first part ("It's unclear, but what do staff engineers do") joins the next.
    if len(parts) > 1 and not _stands_alone(parts[0]):
        parts[1] = f"{parts[0]}, {parts[1]}"
        parts.pop(0)
    return parts or [question.strip()]


def _stands_alone(piece: str) -> bool:
    tokens = words(piece)
    return len(terms(piece)) >= 2 and not any(t in ANAPHORA for t in tokens)


def _starts_clause(piece: str) -> bool:
    return re.match(_CLAUSE_START, piece, re.IGNORECASE) is not None


_LOWERCASE_OPENERS = frozenset({
    "what", "how", "why", "when", "where", "who", "whom", "whose", "which", "do", "does",
    "did", "can", "could", "should", "would", "will", "is", "are", "was", "were", "the", "a",
    "an", "any", "some", "my", "our",
})


def topic_of(part: str) -> str:
    """A part rephrased as a topic to name back: "what's the best pizza in Naples?" ->
    "the best pizza in Naples", "How do I negotiate rent?" -> "how to negotiate rent"."""
    text = part.strip().rstrip("?.! ")
    text = _IMPERATIVE.sub("", _CONNECTIVE.sub("", text))
    text = _WHAT_IS.sub("", text)
    text = _HOW_DO_I.sub("how to ", text).strip() or part.strip()
    # Named back mid-sentence ("My sources don't cover what dentists do"): a question
    # word loses its capital, a name ("Naples") keeps it.
    first = text.split(maxsplit=1)[0]
    if first.lower() in _LOWERCASE_OPENERS:
        text = first.lower() + text[len(first):]
    return text


def asks_for_traits(question: str) -> bool:
    """Whether the question asks what people in a role do, as a whole (see _TRAIT_SHAPES):
    it is answered trait by trait, from many articles."""
    text = " ".join(question.strip().rstrip("?!. ").split())
    return bool(_TRAIT_SHAPES.fullmatch(text))


def unknown_key_terms(question: str, vocabulary: Container[str]) -> list[str]:
    """Names and numbers of the question that no indexed chunk contains.

    Only proper nouns (capitalised, not sentence-initial) and figures are considered:
    an unusual common word is often a synonym the dense search handles, but a place,
    company or number that no source mentions cannot be answered from the sources.
    """
    found: list[str] = []
    tokens = re.findall(r"[\w$%’'.-]+", question)
    for i, raw in enumerate(tokens):
        token = raw.strip(".’'-")
        if not token:
            continue
        initial = i == 0 or tokens[i - 1].endswith((".", "?", "!"))
        is_name = token[0].isupper() and not initial and token.lower() not in STOPWORDS
        has_digit = any(ch.isdigit() for ch in token)
        if not (is_name or has_digit) or token == "I":
            continue
        keys = [stem(w) for w in words(token) if w not in STOPWORDS]
        if keys and not all(k in vocabulary for k in keys) and token not in found:
            found.append(token)
    return found
