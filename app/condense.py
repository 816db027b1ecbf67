"""Follow-up questions made self-contained before retrieval ("how did they measure it?").

Retrieval sees one string; "what about principal?" alone finds nothing useful. The
rule-based condenser handles the common shapes without a model; the LLM condenser
asks the chat model and falls back to the rules when the model is unavailable.

The rules keep the follow-up first and add the earlier topic in parentheses, "How big
was the cohort (the consultative mentorship model for L5 engineers)?", one question:
as two ("How big was the cohort? Tell me about ...?") the coverage check would judge
"How big was the cohort" on its own and find nothing.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from typing import Protocol

from app.check.claims import MARKER
from app.coverage import ANAPHORA, topic_of
from app.llm import ChatClient, LLMError
from app.models import ChatTurn
from app.prompts import Prompt
from app.terms import STOPWORDS, stem, terms, words

log = logging.getLogger("careerqa.condense")

# Openers of a question that only makes sense after the previous one.
_ELLIPTIC = re.compile(
    r"^\s*(?:what|how)\s+about\b|^\s*and\b|^\s*(?:what|anything)\s+else\b|^\s*tell me more\b"
    r"|^\s*more\s+(?:about|on)\b|^\s*(?:why|how)\s*(?:so|come)?\s*\??\s*$|^\s*(?:such as|like)\b"
    r"|^\s*(?:can|could)\s+you\s+(?:elaborate|expand|explain)\b|^\s*elaborate\b",
    re.IGNORECASE,
)
_WHAT_ABOUT = re.compile(r"^\s*(?:what|how)\s+about\s+(.+?)\s*\??\s*$", re.IGNORECASE)
# Words of follow-ups that ask for more without naming a topic ("tell me more about that").
_FOLLOW_UP_WORDS = frozenset(
    ["more", "elaborate", "expand", "explain", "detail", "details", "example", "examples",
     "else", "another", "continue"]
)
# "Which one fits ...?", "the latter": a choice among things named earlier.
_CHOICE = re.compile(
    r"\b(?:which|that|this|the\s+other|the\s+first|the\s+second|the\s+last)\s+ones?\b"
    r"|\bthe\s+(?:former|latter)\b",
    re.IGNORECASE,
)
# "How big was the cohort?", "What did the memo ask for?": "the <noun>" with nothing after
# it saying which one (no "of ...", "between ...", "that ..."). In a short question it
# names something the conversation introduced.
_QUALIFIERS = frozenset(
    ["of", "between", "for", "in", "on", "at", "that", "which", "who", "whom", "to", "with",
     "from", "about", "behind", "among", "across", "versus", "vs", "during", "after", "before"]
)
_SHORT_QUESTION_TERMS = 4
# Career levels: "what about principal?" after a staff question swaps the level.
_LEVELS = frozenset(
    ["intern", "junior", "mid", "senior", "staff", "principal", "distinguished", "fellow",
     "lead", "l3", "l4", "l5", "l6", "l7", "l8", "e3", "e4", "e5", "e6", "e7", "e8"]
)


class Condenser(Protocol):
    """Rewrites a follow-up into a question that can be searched on its own."""

    def condense(self, question: str, history: list[ChatTurn]) -> str: ...


class RuleCondenser:
    """No model: detect a follow-up by its pronouns or ellipsis, then add the topic back."""

    def condense(self, question: str, history: list[ChatTurn]) -> str:
        previous = _last(history, "user")
        if previous is None or not is_follow_up(question):
            return question
        if swapped := _swap_level(question, previous):
            return swapped
        context = previous.rstrip(" ?.!")
        answer = _last(history, "assistant")
        keywords = [k for k in answer_keywords(answer or "") if stem(k) not in terms(context)]
        if not _own_terms(question):
            # "tell me more about that": the previous topic is the question
            return context + (f" ({', '.join(keywords)})" if keywords else "") + "?"
        topic = ", ".join([_as_topic(context), *keywords])
        return f"{question.rstrip(' ?.!')} ({topic})?"


class LLMCondenser:
    """Asks the chat model (prompts/condense.txt); the rules decide if the model fails."""

    def __init__(self, llm: ChatClient, prompt: Prompt, fallback: Condenser | None = None) -> None:
        self.llm = llm
        self.prompt = prompt
        self.fallback = fallback or RuleCondenser()

    def condense(self, question: str, history: list[ChatTurn]) -> str:
        if not history:
            return question
        transcript = "\n".join(f"{t.role}: {_clip(t.content)}" for t in history[-6:])
        try:
            reply = self.llm.complete(self.prompt.messages(history=transcript, question=question))
        except LLMError as exc:
            log.warning("condensing with the LLM failed (%s); using the rules", exc)
            return self.fallback.condense(question, history)
        rewritten = reply.strip().splitlines()[0].strip().strip('"“”') if reply.strip() else ""
        # A reply that is empty or rambles is no search query.
        if not rewritten or len(rewritten) > 4 * len(question) + 200:
            return self.fallback.condense(question, history)
        return rewritten


def is_follow_up(question: str) -> bool:
    """Pronouns pointing back, an elliptic opener, a choice among things named earlier
    ("which one"), a bare "the <noun>" in a short question, or no topic words of its own."""
    tokens = words(question)
    if _ELLIPTIC.search(question) or _CHOICE.search(question):
        return True
    if any(t in ANAPHORA for t in tokens):
        return True
    own = _own_terms(question)
    if not own:
        return True
    return len(set(own)) <= _SHORT_QUESTION_TERMS and _bare_definite(tokens)


def _bare_definite(tokens: list[str]) -> bool:
    """A "the" + one or two content words that nothing after qualifies ("the cohort?"),
    unlike "the difference between ..." or "the capital of ..."."""
    for i, token in enumerate(tokens):
        if token != "the":
            continue
        phrase = list(itertools.takewhile(
            lambda t: t not in STOPWORDS and t not in _QUALIFIERS and not t.isdigit(),
            tokens[i + 1 : i + 3]))
        after = tokens[i + 1 + len(phrase)] if i + 1 + len(phrase) < len(tokens) else None
        if phrase and after not in _QUALIFIERS:
            return True
    return False


def answer_keywords(answer: str, n: int = 3) -> list[str]:
    """The answer's most repeated content words (headings and markers aside), as written."""
    body = "\n".join(line for line in answer.splitlines() if not line.lstrip().startswith("#"))
    body = MARKER.sub(" ", body)
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for word in words(body):
        if word in STOPWORDS or len(word) < 4 or word.isdigit():
            continue
        key = stem(word)
        counts[key] += 1
        surface.setdefault(key, word)
    return [surface[k] for k, c in counts.most_common(n) if c >= 2]


def _as_topic(question: str) -> str:
    """The previous question as a topic, without commas that would read as a list:
    "Tell me about the consultative model for L5s" -> "the consultative model for L5s"."""
    return topic_of(question).replace(",", "").replace(";", "")


def _own_terms(question: str) -> list[str]:
    return [t for t in terms(question) if t not in {stem(w) for w in _FOLLOW_UP_WORDS}]


def _swap_level(question: str, previous: str) -> str | None:
    """ "what about principal?" after "what do great staff engineers do?" ->
    "what do great principal engineers do?"; None when the shapes do not match."""
    match = _WHAT_ABOUT.match(question)
    if not match:
        return None
    wanted = [w for w in words(match.group(1)) if w not in STOPWORDS]
    level = next((w for w in wanted if w in _LEVELS), None)
    if level is None or len(wanted) > 2:
        return None
    pattern = re.compile(rf"\b({'|'.join(sorted(_LEVELS))})\b", re.IGNORECASE)
    if not pattern.search(previous):
        return None
    return pattern.sub(level, previous, count=1)


def _last(history: list[ChatTurn], role: str) -> str | None:
    for turn in reversed(history):
        if turn.role == role and turn.content.strip():
            return turn.content
    return None


def _clip(text: str, limit: int = 1200) -> str:
    return text if len(text) <= limit else text[:limit] + " …"
