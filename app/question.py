"""What a question asks for, and the words an answer must be about.

One analysis per question, shared by retrieval (query expansion, breadth), sentence
selection (which sentence answers directly) and the coverage decision (is the
question's specific focus, a city, a visa, a salary figure, addressed at all):

- `kind`: the shape of the wanted answer: a number, a duration, a name, yes/no, a
  definition, a comparison of X and Y, a how-to, a reason, a broad "what do great X
  do", or open;
- `focus`: the content terms (stemmed) that carry the topic;
- `specific`: the words a source must mention for the question to be covered: names,
  places and figures, and the asked-for object of a money or immigration question
  ("salary", "visa"), which career writing rarely states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.coverage import asks_for_traits
from app.terms import STOPWORDS, stem, terms, words

AskedKind = Literal[
    "number", "duration", "name", "list", "yes_no", "definition", "comparison", "how_to",
    "reason", "condition", "broad", "open",
]

_DURATION = re.compile(
    r"\bhow\s+(?:long|often|soon|quickly|frequently|far\s+out)\b"
    r"|\b(?:within|after|for)\s+how\s+(?:long|many\s+(?:days|weeks|months|years|hours))\b"
    r"|\bhow\s+many\s+(?:days|weeks|months|years|hours|minutes)\b"
    r"|\bhow\s+much\s+time\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|big|large|small)\b|\bby\s+how\b"
    r"|\bwhat\s+(?:percent|percentage|share|size|number|fraction)\b",
    re.IGNORECASE,
)
# "Which components ...?" asks for things, not a name: only people, places, days and
# organisations are names.
_NAMED = r"(?:day|days|company|companies|team|person|city|country|tool|language|framework|month)"
_NAME = re.compile(
    rf"^\s*(?:who|whom|whose)\b|\b(?:on|in|at)\s+which\s+{_NAMED}\b|^\s*which\s+{_NAMED}\b"
    r"|\bwhat\s+(?:is|was)\s+the\s+name\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|must)\s+\w+",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"\bdifference\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>[^?]+)"
    r"|^(?:what\s+is\s+)?(?P<c>.+?)\s+(?:vs\.?|versus)\s+(?P<d>[^?]+)"
    r"|\bcompare\s+(?P<e>.+?)\s+(?:and|with|to)\s+(?P<f>[^?]+)"
    r"|\bhow\s+(?:is|are|does|do)\s+(?P<g>.+?)\s+differ(?:ent)?\s+from\s+(?P<h>[^?]+)",
    re.IGNORECASE,
)
_DEFINITION = re.compile(
    r"^\s*what\s+(?:is|are)\s+(?:a|an|the)?\s*\w+|^\s*what\s+does\s+.+\s+mean\b|^\s*define\b",
    re.IGNORECASE,
)
_HOW_TO = re.compile(
    r"^\s*how\s+(?:do|can|should|could|would)\s+(?:i|we|you|one|a|an|the)\b|^\s*how\s+to\b"
    r"|^\s*what\s+should\s+(?:i|we)\b|^\s*how\s+should\b",
    re.IGNORECASE,
)
_REASON = re.compile(r"^\s*why\b", re.IGNORECASE)
# "When should a project pivot?": answered by the conditions, not by a date.
_CONDITION = re.compile(
    r"^\s*when\s+(?:should|must|can|could|would|do|does|is|are|might|may)\b", re.IGNORECASE
)
# "How often ...?" asks a frequency ("once a day"); every other duration question ("how
# long", "how quickly", "within how many days") an amount of time ("30 minutes").
_FREQUENCY = re.compile(r"\bhow\s+(?:often|frequently)\b", re.IGNORECASE)
# "What is a trade study?" defines a short noun phrase; "What is the standard a reviewer
# should apply when approving a change?" asks for more than a definition.
_MAX_DEFINED_TERMS = 4
_DEFINED = re.compile(
    r"^\s*what\s+(?:is|are)\s+(?:(?:a|an|the)\s+)?(?P<what>[^?]+?)\s*\??$"
    r"|^\s*what\s+does\s+(?P<mean>.+?)\s+mean\b|^\s*define\s+(?P<define>[^?]+)",
    re.IGNORECASE,
)
# "What are the requirements to become an approver?": answered by a list after its lead-in.
_LIST = re.compile(
    r"^\s*(?:what|which)\s+(?:are|were)\s+(?:the\s+)?(?:\w+\s+)?(?:requirements|criteria|steps|"
    r"responsibilities|prerequisites|expectations|duties)\b",
    re.IGNORECASE,
)

# Objects of a question that career writing about how engineers work rarely states, so a
# source must name them for the question to count as covered: money amounts and
# immigration matters. "How much does a staff engineer earn in Berlin?" is not answered
# by a page that mentions Berlin and a page that mentions pay.
MONEY_WORDS = frozenset(
    ["salary", "salaries", "pay", "paid", "earn", "earns", "compensation", "bonus", "wage",
     "wages", "stock", "equity", "rsu", "rsus", "options", "taxed", "tax", "taxes"]
)
# Of these, the ones whose question wants an amount ("how much does a staff engineer earn").
PAY_WORDS = frozenset(["salary", "salaries", "pay", "paid", "earn", "earns", "bonus", "wage",
                       "wages"])
_ASKS_AMOUNT = re.compile(
    r"\b(?:what|which|average|typical|median|usual)\s+(?:\w+\s+){0,3}"
    r"(?:salary|salaries|pay|bonus|wages?)\b",
    re.IGNORECASE,
)
IMMIGRATION_WORDS = frozenset(
    ["visa", "visas", "immigration", "permit", "sponsorship", "citizenship", "residency",
     "green", "relocation", "h-1b", "h1b"]
)
_SHAPES: tuple[tuple[AskedKind, re.Pattern[str]], ...] = (
    ("duration", _DURATION), ("number", _NUMBER), ("name", _NAME), ("list", _LIST),
    ("reason", _REASON), ("condition", _CONDITION), ("how_to", _HOW_TO),
    ("definition", _DEFINITION), ("yes_no", _YES_NO),
)
_FIGURE = re.compile(r"\d")
# "How long ...?" asks for a duration: "long" is the question's shape, not its topic, and
# as a focus word it drew "untouched after too long" over "Member for at least 3 months".
_HOW_WORD = re.compile(r"\bhow\s+(?:long|often|soon|quickly|frequently|far|big|large|small|old)\b",
                       re.IGNORECASE)
_LEADING = frozenset({"what", "how", "why", "when", "where", "who", "which", "is", "are",
                      "do", "does", "did", "can", "should", "i", "and", "or"})


@dataclass(frozen=True)
class QuestionAnalysis:
    """The shape and focus of one question (see the module docstring)."""

    text: str
    kind: AskedKind
    focus: frozenset[str]
    specific: tuple[str, ...]
    compared: tuple[str, str] | None = None

    @property
    def wants_fact(self) -> bool:
        """A number, a duration or a name: one sentence, list item or table row answers it."""
        return self.kind in ("number", "duration", "name", "list")

    @property
    def asks_length(self) -> bool:
        """A duration question asking for an amount of time ("how long should it be?" ->
        "30 minutes"), not for a frequency ("how often" -> "once a day")."""
        return self.kind == "duration" and not _FREQUENCY.search(self.text)

    @property
    def defined(self) -> tuple[str, ...]:
        """The stemmed terms of the noun phrase a definition question asks about, in order
        ("What is a design decision log?" -> design, decision, log); empty when the
        question is no definition or names more than a short phrase."""
        if self.kind != "definition":
            return ()
        match = _DEFINED.search(self.text)
        phrase = next((g for g in match.groups() if g), "") if match else ""
        found = tuple(dict.fromkeys(terms(phrase)))
        return found if len(found) <= _MAX_DEFINED_TERMS else ()

    @property
    def asks_money(self) -> bool:
        """Whether the answer is an amount of pay: "how much does X earn", "what salary
        should I ask for", "the typical signing bonus"."""
        pay = any(w in PAY_WORDS for w in words(self.text))
        return pay and (self.kind == "number" or bool(_ASKS_AMOUNT.search(self.text)))


def analyse(question: str) -> QuestionAnalysis:
    """The kind, focus terms and specific focus of `question` (see QuestionAnalysis)."""
    text = " ".join(question.strip().split())
    compared = _compared(text)
    return QuestionAnalysis(
        text=text,
        kind=_kind(text, compared),
        focus=frozenset(terms(_HOW_WORD.sub("how", text))),
        specific=specific_focus(text),
        compared=compared,
    )


def _kind(text: str, compared: tuple[str, str] | None) -> AskedKind:
    """The first shape that fits, most specific first (every pattern is anchored or
    looks for its own phrase, so `search` serves all)."""
    if compared:
        return "comparison"
    if asks_for_traits(text):
        return "broad"
    return next((kind for kind, pattern in _SHAPES if pattern.search(text)), "open")


def _compared(text: str) -> tuple[str, str] | None:
    match = _COMPARISON.search(text)
    if not match:
        return None
    found = [g.strip(" ?.,") for g in match.groups() if g]
    return (found[0], found[1]) if len(found) == 2 else None


def specific_focus(text: str) -> tuple[str, ...]:
    """Names, places and figures of the question (capitalised after its first word, or
    holding a digit), and its money or immigration object, as written."""
    found: list[str] = []
    tokens = re.findall(r"[\w$%’'&-]+", text)
    for i, raw in enumerate(tokens):
        token = re.sub(r"[’']s$", "", raw).strip("’'-")
        low = token.lower()
        if not token or low in STOPWORDS or low in _LEADING:
            continue
        name = i > 0 and token[0].isupper() and token != "I"
        wanted = name or _FIGURE.search(token) or low in MONEY_WORDS or low in IMMIGRATION_WORDS
        if wanted and token not in found:
            found.append(token)
    return tuple(found)


def stems_of(phrase: str) -> frozenset[str]:
    """The stemmed content words of a phrase ("H-1B" -> {"h", "1b"} less stopwords)."""
    return frozenset(stem(w) for w in words(phrase) if w not in STOPWORDS)
