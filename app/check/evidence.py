"""Align a claim with source sentences and run the discrete checks embeddings are blind to.

Alignment is lexical here (share of the claim's content stems found in a window of one or two
adjacent source sentences); judges may blend in embedding similarity. The discrete checks compare
figures, negations, names and roles between the claim and the evidence it aligned with.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from app.check.features import ANTONYM_STEMS, ROLES, Features, analyse, stem, tokens
from app.check.numbers import missing_numbers
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
    frequency: Mapping[str, int]  # in how many sentences each stem occurs
    # Per sentence, the Markdown heading it sits under (its index), if any.
    headings: tuple[int | None, ...]

    def quote(self, window: Window) -> str:
        return self.text[window.start : window.end]

    def heading_of(self, window: Window) -> Features | None:
        """The heading above `window`: "#### Engineer 2" states the level of its bullets."""
        heading = self.headings[window.sentences[0]]
        return self.sentences[heading].features if heading is not None else None


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
    frequency = Counter(s for w in singles for s in w.features.stems)
    return SourceIndex(text, tuple(singles), tuple(singles + pairs), words, whole, frequency,
                       _headings(text, singles))  # fmt: skip


def _headings(text: str, sentences: list[Window]) -> tuple[int | None, ...]:
    out: list[int | None] = []
    current = None
    for i, window in enumerate(sentences):
        if text.startswith("#", window.start):
            out.append(None)
            current = i
        else:
            out.append(current)
    return tuple(out)


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
    missing = missing_numbers(claim.numbers, tuple(stated))
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
    ev_set_aside = [scope for f in evidence for scope in f.set_aside]
    for scope in claim.negation_scopes:
        if _flipped(scope, ev_stems, ev_negated, ev_set_aside):
            return "the sentence negates something the source asserts"
    for scope in ev_scopes:
        if _flipped(scope, claim.stems, claim.negated, claim.set_aside):
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
    return name_issue(claim, sources) or level_issue(claim, sources) or role_issue(claim, evidence)


def missing_names(claim: Features, sources: list[SourceIndex]) -> list[str]:
    """The claim's proper names that no source mentions (spelled out or as initials)."""
    words = frozenset().union(*(s.words for s in sources))
    spelled = _spelled_out(claim.text, words)
    return sorted(n for n in claim.names if n not in words and n not in spelled)


def name_issue(claim: Features, sources: list[SourceIndex]) -> str | None:
    missing = missing_names(claim, sources)
    return f"{', '.join(missing)} does not appear in the cited source" if missing else None


def level_issue(claim: Features, sources: list[SourceIndex]) -> str | None:
    levels = frozenset().union(*(s.features.levels for s in sources))
    if claim.levels - levels:
        return f"level {', '.join(sorted(claim.levels - levels)).upper()} is not in the source"
    return None


def role_issue(claim: Features, evidence: list[Features]) -> str | None:
    ev_roles = frozenset().union(*(f.roles for f in evidence))
    for family in ROLES.values():
        said, stated = claim.roles & family, ev_roles & family
        if said - stated and stated - said:
            return (
                f"the sentence says {', '.join(sorted(said - stated))} where the source says "
                f"{', '.join(sorted(stated - said))}"
            )
    return None


_NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][a-z]+)+")


def _spelled_out(text: str, words: frozenset[str]) -> frozenset[str]:
    """Name words of the claim whose run's initials the source uses: "Site Reliability" ~ "SRE"."""
    backed: set[str] = set()
    for match in _NAME_RUN.finditer(text):
        run = [w for w in match.group(0).split() if w[0].isupper()]
        initials = "".join(w[0] for w in run).lower()
        if any(w.startswith(initials) and len(w) <= len(initials) + 1 for w in words):
            backed.update(w.lower() for w in run)
    return frozenset(backed)


_ANTONYM_PAIRS = tuple((stem(a), stem(b)) for a, b in ANTONYM_STEMS)


def antonym_issue(claim: Features, evidence: list[Features]) -> str | None:
    """Message when the claim uses a word whose opposite the evidence uses instead."""
    ev_stems = frozenset().union(*(f.stems for f in evidence)) if evidence else frozenset()
    for word, opposite in _ANTONYM_PAIRS:
        if word in claim.stems and opposite in ev_stems and word not in ev_stems \
                and opposite not in claim.stems:
            return f"the sentence says “{word}…” where the source says “{opposite}…”"
    return None
