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

from app.answer.lead import question_topic
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
    """No model: detect a follow-up by its pronouns or ellipsis, then say what it refers to.

    The result is one real question: "How many hours a week does it take?" after "What
    does an onboarding mentor do?" becomes "How many hours a week does being an onboarding
    mentor take?"; "And for an approver?" after "What are the requirements to become a
    reviewer?" becomes "What are the requirements to become an approver?". When no rule
    fits, the earlier topic follows in parentheses, as a noun phrase.
    """

    def condense(self, question: str, history: list[ChatTurn]) -> str:
        previous = _last(history, "user")
        if previous is None or not is_follow_up(question):
            return question
        if swapped := _swap_level(question, previous):
            return swapped
        context = previous.strip().rstrip(" ?.!")
        if not _own_terms(question) and not _NEGATION.search(question):
            # "tell me more about that": the previous question is the question
            return context + "?"
        return standalone(question, context)


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


# "What about its first line?", "And for an approver?", "How about principals?"
_ABOUT = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*\s*$"
    r"|^\s*and\s+(?:for|with|in|at|as)?\s*(?P<y>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# What a previous question is about, by its shape: the object of "how do I <verb> X", the
# subject of "what does X do", X of "what is X", "what counts as X", "tell me about X".
_REFERENT_SHAPES = [
    (re.compile(r"^how\s+\w+\s+(?:should|is|are|does|do|can|must|was|were)\s+(?P<ref>.+?)\s+"
                r"(?:be|take|last|get|grow)$", re.I), "thing"),
    (re.compile(r"^how\s+(?:was|were|is|are)\s+(?P<ref>.+?)\s+\w+ed\b.*$", re.I), "thing"),
    (re.compile(r"^(?:how|why|when)\s+(?:do|does|did|should|can|could|would)\s+(?:i|we|you|one)\s+"
                r"\w+\s+(?P<ref>.+)$", re.I), "object"),
    (re.compile(r"^what\s+(?:do|does|did)\s+(?P<ref>.+?)\s+(?:do|expect|ask|need|say)\b.*$", re.I),
     "doer"),
    (re.compile(r"^(?:how|why)\s+(?:do|does|did)\s+(?P<subj>\S+(?:\s+\S+)?)\s+\w+\s+"
                r"(?P<ref>(?:its|their|his|her|the|a|an)\s+.+)$", re.I), "object"),
    (re.compile(r"^what\s+counts\s+as\s+(?P<ref>.+)$", re.I), "thing"),
    (re.compile(r"^what\s+(?:is|are|was|were)\s+(?:the\s+requirements\s+to\s+become\s+)?"
                r"(?P<ref>.+)$", re.I), "thing"),
    (re.compile(r"^(?:tell\s+me|explain|describe)\s+(?:about\s+)?(?P<ref>.+)$", re.I), "thing"),
]
_NEGATION = re.compile(r"\b(?:not|isn[’']?t|aren[’']?t|never)\b", re.I)  # "What is not one?"
_WHICH_ONE = re.compile(r"\b(which|one)\s+(?:ones?|of\s+them)\b", re.I)
# "that overhaul": a demonstrative before a noun, not a pronoun.
_DETERMINER = re.compile(r"\b(?:that|this|these|those)\s+(?!is\b|was\b|are\b)[a-z]+\w*\s+"
                         r"(?:take|last|cost|work|do|did|mean|need)\b", re.I)
_BARE_NOUN = re.compile(r"\bthe\s+[a-z][\w-]*(?=\s*$|\s+(?:ask|take|last|cost|do|mean|say|"
                        r"include|contain|look|work)\b)", re.I)
_POSSESSIVE_PRONOUN = {"its", "their", "his", "her"}
_SUBJECT_PRONOUN = {"it", "they", "them", "this", "that", "one", "these", "those"}
_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.I)


def standalone(question: str, context: str) -> str:
    """`question`, a follow-up of `context`, rewritten to stand alone (see RuleCondenser)."""
    q = question.strip().rstrip(" ?.!")
    referent, role, subject = _referent(context)
    if match := _ABOUT.match(question):
        target = (match.group("x") or match.group("y") or "").strip()
        if target and not _has_pronoun(target) and len(terms(target)) <= 2:
            return _swap_head(context, target) + "?"
        if target and referent:
            return f"What about {_replace_pronoun(target, referent, subject)}?"
    if referent and (which := _WHICH_ONE.search(q)):
        # "Which one fits ...?" -> "Which of the staff engineer archetypes fits ...?"
        return q[: which.start()] + f"{which.group(1)} of {referent}" + q[which.end():] + "?"
    if referent and _has_pronoun(q) and not _DETERMINER.search(q):
        return _replace_pronoun(q, referent, subject, doer=role == "doer") + "?"
    if referent and (bare := _BARE_NOUN.search(q)):
        # "How big was the cohort?" -> "How big was the cohort of <referent>?"
        return q[: bare.end()] + f" of {referent}" + q[bare.end():] + "?"
    return f"{q} ({question_topic(context + '?')})?"


def _referent(context: str) -> tuple[str | None, str, str | None]:
    """What `context` is about, the shape that said so, and its subject (for "its")."""
    for pattern, role in _REFERENT_SHAPES:
        if match := pattern.match(context):
            ref = match.group("ref").strip(" ,")
            subject = match.groupdict().get("subj")
            if subject and re.match(r"^(?:its|their)\s", ref, re.I):
                ref = re.sub(r"^(?:its|their)\s+", f"{subject}’s ", ref, flags=re.I)
            return ref, role, subject
    return None, "", None


def _has_pronoun(text: str) -> bool:
    return any(w in _SUBJECT_PRONOUN or w in _POSSESSIVE_PRONOUN for w in words(text))


def _replace_pronoun(text: str, referent: str, subject: str | None, *, doer: bool = False) -> str:
    """The first pronoun of `text` replaced by the referent: "its first line" -> "the first
    line of <referent>"; "does it take" after "what does X do" -> "does being X take"."""
    poss = re.search(r"\b(its|their)\s+(\w+(?:\s+\w+)?)", text, re.I)
    if poss:
        return text[: poss.start()] + f"the {poss.group(2)} of {referent}" + text[poss.end():]
    pron = re.search(r"\b(it|they|them|this|that|these|those|one)\b", text, re.I)
    if not pron:
        return text
    word = pron.group(1).lower()
    replacement = f"being {referent}" if doer and word == "it" else referent
    if word in ("they", "them") and doer:
        replacement = _ARTICLE.sub("", referent)
    return text[: pron.start()] + replacement + text[pron.end():]


def _swap_head(context: str, target: str) -> str:
    """`context` with its last content word replaced by the target's: "... become a
    Kubernetes reviewer" + "an approver" -> "... become a Kubernetes approver"."""
    new_head = _ARTICLE.sub("", target.strip()).split()
    tokens = context.split()
    for i in range(len(tokens) - 1, -1, -1):
        if terms(tokens[i]):
            if i > 0 and tokens[i - 1].lower() in ("a", "an"):
                tokens[i - 1] = "an" if new_head[0][:1].lower() in "aeiou" else "a"
            tokens[i : i + 1] = new_head
            return " ".join(tokens)
    return f"{context}, {target}"


def _names(context: str) -> list[str]:
    """Proper nouns of a question: capitalised after its first word."""
    return [w for w in re.findall(r"(?<=\s)([A-Z][\w’'-]+)", context) if w.lower() not in STOPWORDS]


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
