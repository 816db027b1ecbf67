"""Align a claim with source sentences and run the discrete checks embeddings are blind to.

Alignment is lexical here (share of the claim's content stems found in a window of one or two
adjacent source sentences); judges may blend in embedding similarity. The discrete checks compare
figures, negations, names and roles between the claim and the evidence it aligned with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from app.check.features import ROLES, Features, analyse, tokens
from app.check.sentences import sentence_spans

# A two-sentence window must beat the best single sentence by this much to be preferred;
# otherwise a figure from the neighbouring sentence would "confirm" a changed number.
PAIR_PENALTY = 0.15


@dataclass(frozen=True)
class Window:
    """One or two adjacent sentences of a source, with offsets into the source text."""

    start: int
    end: int
    sentences: tuple[int, ...]
    features: Features


@dataclass(frozen=True)
class SourceIndex:
    """A source split into sentence windows, plus the vocabulary used for name checks."""

    text: str
    sentences: tuple[Window, ...]
    windows: tuple[Window, ...]  # the sentences first (window i is sentence i), then the pairs
    words: frozenset[str]
    features: Features

    def quote(self, window: Window) -> str:
        return self.text[window.start : window.end]


@lru_cache(maxsize=1024)
def index_source(text: str) -> SourceIndex:
    """Split a source into single and adjacent-pair windows; cached since sources recur."""
    spans = sentence_spans(text)
    singles = [Window(a, b, (i,), analyse(text[a:b])) for i, (a, b) in enumerate(spans)]
    pairs = [
        Window(
            a.start,
            b.end,
            (i, i + 1),
            Features.merge([a.features, b.features], text[a.start : b.end]),
        )
        for i, (a, b) in enumerate(zip(singles, singles[1:], strict=False))
    ]
    words = frozenset(_bare(w) for w in tokens(text))
    whole = Features.merge([w.features for w in singles], text)
    return SourceIndex(text, tuple(singles), tuple(singles + pairs), words, whole)


def _bare(word: str) -> str:
    word = word.lower().replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def coverage(claim: Features, window: Window) -> float:
    """Share of the claim's content stems present in the window (recall, not overlap)."""
    if not claim.stems:
        return 0.0
    score = len(claim.stems & window.features.stems) / len(claim.stems)
    return score - PAIR_PENALTY if len(window.sentences) > 1 else score


def number_issue(claim: Features, evidence: list[Features]) -> str | None:
    """Message naming the claim's figures that the evidence does not state, if any."""
    stated = [q for f in evidence for q in f.numbers]
    missing = [q.text for q in claim.numbers if not any(q.matches(e) for e in stated)]
    if not missing:
        return None
    have = ", ".join(dict.fromkeys(q.text for q in stated)) or "no figures"
    return f"the sentence says {', '.join(missing)}; the source says {have}"


def negation_issue(claim: Features, evidence: list[Features]) -> str | None:
    """Message when one side negates what the other asserts ("did not know X" vs "knew X").

    A negation counts when at least half of the words it governs appear un-negated on the other
    side, and no negation there governs any of the same words ("nobody announced it" matches "no
    launch announcement" even though the scopes differ).
    """
    ev_stems = frozenset().union(*(f.stems for f in evidence))
    ev_negated = frozenset().union(*(f.negated for f in evidence))
    ev_scopes = [scope for f in evidence for scope in f.negation_scopes]
    for scope in claim.negation_scopes:
        if _flipped(scope, ev_stems, ev_negated, ev_scopes):
            return "the sentence negates something the source asserts"
    for scope in ev_scopes:
        if _flipped(scope, claim.stems, claim.negated, claim.negation_scopes):
            return "the source negates something the sentence asserts"
    return None


def _flipped(
    scope: frozenset[str],
    other: frozenset[str],
    other_negated: frozenset[str],
    other_scopes: Iterable[frozenset[str]],
) -> bool:
    if any(scope & theirs for theirs in other_scopes):
        return False
    asserted = (scope & other) - other_negated
    return len(asserted) >= max(1, math.ceil(len(scope) / 2))


def entity_issue(
    claim: Features, sources: list[SourceIndex], evidence: list[Features]
) -> str | None:
    """Message when a name, level code or role in the claim is not what the sources say."""
    words = frozenset().union(*(s.words for s in sources))
    missing = sorted(n for n in claim.names if n not in words)
    if missing:
        return f"{', '.join(missing)} does not appear in the cited source"
    levels = frozenset().union(*(s.features.levels for s in sources))
    if claim.levels - levels:
        return f"level {', '.join(sorted(claim.levels - levels)).upper()} is not in the source"
    ev_roles = frozenset().union(*(f.roles for f in evidence))
    for family in ROLES.values():
        said, stated = claim.roles & family, ev_roles & family
        if said - stated and stated - said:
            return (
                f"the sentence says {', '.join(sorted(said - stated))} where the source says "
                f"{', '.join(sorted(stated - said))}"
            )
    return None
