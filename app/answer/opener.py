"""Which sentence may open an answer: one that answers, not one that sets the scene or points away.

The first line is what a reader takes for the answer, so a sentence that only points at
other text ("see below", "as described in the ADR guide", "In this section ...") or
sets up the situation the question already names ("Sometimes a developer will push back
on a code review.") never opens, however well it scores. The question's shape says
what an opener must do: a how-to question opens with advice ("they should continue to
advocate for the change"), a "when should ...?" question with a condition ("Pivoting a
project is appropriate when ..."). When no candidate of that shape scores close to the
best, the best one that at least answers opens; when none does, no sentence opens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

from app.answer.cues import is_imperative
from app.question import QuestionAnalysis

# Pointers to text the quote does not hold: another page, a section, a figure, a list
# above or below. "(see below)", "See the ADR template", "as described in ...", "the
# above conditions", "In this section, ...", "The following guidelines outline ...", "Teams
# may find this template helpful".
_REFERS_ELSEWHERE = re.compile(
    r"\bsee\s+(?:below|above|the|our|this|these|also|more|\[|https?:)|\(\s*see\b|^see\b"
    r"|\b(?:as|is|are)\s+(?:described|explained|outlined|discussed|mentioned|shown|listed|"
    r"covered|detailed)\s+(?:in|on|at|above|below|earlier|later)\b"
    r"|\b(?:listed|described|shown|outlined|mentioned|discussed|laid\s+out)\s+(?:above|below)\b"
    r"|\bthe\s+(?:above|below)\b|\babove\s+(?:conditions|steps|list|section|criteria)\b"
    r"|\b(?:in|this)\s+(?:this\s+)?(?:section|document|page|guide|article|chapter|post)\b"
    r"|\bthe\s+following\s+(?:\w+\s+){0,2}(?:outline|describe|explain|list|cover|show)s?\b"
    r"|\bthe\s+following\s+(?:are|is)\b"
    r"|\bplease\s+read\b|\bread\s+more\b|\bhere\s+are\s+(?:some|a\s+few)\b"
    # Another page named as the place to read: "... has a blog post where he describes ...".
    r"|\b(?:has|wrote|written|published)\s+(?:a|an)\s+(?:\w+\s+)?(?:blog\s+)?post\b"
    # A resource recommended, not the answer: "Teams may find this mural template helpful".
    r"|\b(?:may|might|will|could)\s+find\s+(?:this|these|the|our)\b.{0,60}\b(?:helpful|useful)\b",
    re.IGNORECASE,
)
# A situation, not what to do about it: "Sometimes a developer will push back ...", "In
# rare cases, it may make more sense to ...", "There are times when ...".
_SETS_SCENE = re.compile(
    r"^(?:sometimes|occasionally|at\s+times|from\s+time\s+to\s+time|every\s+so\s+often|"
    r"in\s+(?:some|rare|many|most|certain)\s+(?:cases|situations|instances)|"
    r"there\s+(?:are|will\s+be|may\s+be)\s+(?:times|cases|situations))\b",
    re.IGNORECASE,
)
# Advice: a modal of obligation or a recommendation, or an imperative (after an opening
# clause too: "If you disagree with the reviewer, find ways to collaborate").
_ADVISES = re.compile(
    r"\b(?:should|must|ought\s+to|needs?\s+to|have\s+to|has\s+to|it\s+is\s+best|it’s\s+best|"
    r"it's\s+best|make\s+sure|be\s+sure|try\s+to|recommend(?:s|ed)?|the\s+best\s+way|"
    r"is\s+to\s+\w+|are\s+to\s+\w+)\b",
    re.IGNORECASE,
)
_CLAUSE_THEN = re.compile(r"^(?:if|when|once|before|after|while|as|unless)\b[^,]{3,80},\s*(\S+)",
                          re.IGNORECASE)
# A condition: when, if, once, unless, until, as soon as, or "is appropriate/necessary ...".
_STATES_CONDITION = re.compile(
    r"\b(?:when|whenever|if|once|unless|until|as\s+soon\s+as|in\s+case)\b"
    r"|\b(?:is|are)\s+(?:appropriate|necessary|warranted|needed|required)\b",
    re.IGNORECASE,
)

T = TypeVar("T")


# The predicates below are pure in the text and asked of every pool sentence of every
# question: cached.
@lru_cache(maxsize=65_536)
def refers_elsewhere(sentence: str) -> bool:
    """Whether the sentence points at text it does not contain (another page, a section,
    a list above or below)."""
    return bool(_REFERS_ELSEWHERE.search(sentence))


@lru_cache(maxsize=65_536)
def sets_scene(sentence: str) -> bool:
    """Whether the sentence describes a situation ("Sometimes ...", "In rare cases ...")
    rather than saying what to do or what is."""
    return bool(_SETS_SCENE.match(sentence.strip()))


@lru_cache(maxsize=65_536)
def advises(sentence: str) -> bool:
    """Whether the sentence tells the reader (or the role asked about) what to do."""
    text = sentence.strip()
    clause = _CLAUSE_THEN.match(text)
    return (is_imperative(text) or bool(_ADVISES.search(text))
            or (clause is not None and is_imperative(clause.group(1))))


@lru_cache(maxsize=65_536)
def states_condition(sentence: str) -> bool:
    """Whether the sentence names a condition: "... is appropriate when ...", "If ..."."""
    return bool(_STATES_CONDITION.search(sentence))


def may_open(sentence: str) -> bool:
    """Neither a pointer elsewhere nor a scene-setter: the sentence can be read as an
    answer."""
    return not refers_elsewhere(sentence) and not sets_scene(sentence)


def fits_shape(analysis: QuestionAnalysis | None, sentence: str) -> bool:
    """Whether the sentence has the shape the question asks for: advice for a how-to,
    a condition for a "when should ...?"; any sentence for other shapes."""
    if analysis is None:
        return True
    if analysis.kind == "how_to":
        return advises(sentence)
    if analysis.kind == "condition":
        return states_condition(sentence)
    return True


def pick_opener(
    ranked: Sequence[T],
    text_of: Callable[[T], str],
    score_of: Callable[[T], float],
    source_of: Callable[[T], str],
    analysis: QuestionAnalysis | None,
    ratio: float,
) -> T | None:
    """The best-ranked candidate that may open and has the question's shape, if it comes
    from the page of the best one that may open and scores `ratio` of it or more; else
    that best one; None when every candidate points elsewhere or sets the scene. (Page and
    ratio keep a weaker sentence from another page from opening only because it is
    phrased as advice.)"""
    openers = [c for c in ranked if may_open(text_of(c))]
    if not openers:
        return None
    best = openers[0]
    floor = score_of(best) * ratio
    return next((c for c in openers
                 if source_of(c) == source_of(best) and score_of(c) >= floor
                 and fits_shape(analysis, text_of(c))), best)
