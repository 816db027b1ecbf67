"""Align a claim with every sentence of its sources: the best window and a multi-sentence cover.

A claim is often backed by one sentence, but real answers also combine two sentences of a page or
two cited sources ("a 5-minute timeout, half of the 10-minute window" [1, 5]). So besides the best
single window (one sentence or an adjacent pair), the claim's content stems are covered greedily
by up to `COVER_SENTENCES` sentences drawn from all the cited sources together. Words are weighted
by how rare they are in the sources, so a page's recurring boilerplate ("Media Play News" on every
line) does not make every sentence look relevant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from app.check.evidence import SourceIndex, Window, coverage
from app.check.features import Features
from app.check.models import CitationId

Sourced = tuple[CitationId, SourceIndex]
# Sentences a claim's support may be spread over; three covers the multi-sentence WiCE claims
# without letting a long page assemble any claim from scattered words.
COVER_SENTENCES = 3


@dataclass(frozen=True)
class Alignment:
    """How well the sources back one claim (or one part of it)."""

    source_id: CitationId
    index: SourceIndex
    window: Window
    lexical: float  # stem coverage of the best window (pairs pay a penalty)
    weighted: float  # the same, rare words weighing more
    support: float  # the best window's lexical coverage raised by embedding similarity
    dense: float  # best cosine similarity of an embedded candidate sentence (0 when none)
    dense_top: float  # mean of the three best cosines
    cover: float  # coverage by up to COVER_SENTENCES sentences together
    anywhere: float  # share of the claim's stems found anywhere in the sources
    missing: frozenset[str]  # claim stems the cover does not contain
    evidence: tuple[Features, ...]  # the best window and the cover sentences
    sources_used: int  # distinct sources the cover draws on

    @property
    def quote(self) -> str:
        return self.index.quote(self.window)


def align(
    claim: Features,
    sources: list[Sourced],
    sims: Mapping[tuple[str, str], float],
    semantic_weight: float,
) -> Alignment | None:
    """The alignment of `claim` with `sources`; None when the sources have no sentences."""
    best: tuple[float, float, CitationId, SourceIndex, Window] | None = None
    cosines: list[float] = []
    # This claim's similarities by sentence text, looked up once per sentence, not per window.
    mine = {sentence: v for (text, sentence), v in sims.items() if text == claim.text}
    for source_id, index in sources:
        by_sentence = [mine.get(index.quote(s)) for s in index.sentences] if mine else []
        for window in index.windows:
            lexical = coverage(claim, window)
            window_sims = [
                v for i in window.sentences if by_sentence and (v := by_sentence[i]) is not None
            ]
            if len(window.sentences) == 1:
                cosines.extend(window_sims)
            score = lexical
            if window_sims:
                w = semantic_weight
                score = max(lexical, w * max(window_sims) + (1 - w) * max(lexical, 0.0))
            if best is None or score > best[0]:
                best = (score, lexical, source_id, index, window)
    if best is None:
        return None
    support, lexical, source_id, index, window = best
    cover, missing, evidence, used = _cover(claim, sources)
    found = frozenset().union(*(idx.features.stems for _, idx in sources))
    top = sorted(cosines, reverse=True)[:3]
    return Alignment(
        source_id=source_id,
        index=index,
        window=window,
        lexical=lexical,
        weighted=weighted_coverage(claim, window, sources),
        support=support,
        dense=top[0] if top else 0.0,
        dense_top=sum(top) / len(top) if top else 0.0,
        cover=cover,
        anywhere=len(claim.stems & found) / len(claim.stems) if claim.stems else 0.0,
        missing=missing,
        evidence=(window.features, *evidence),
        sources_used=used,
    )


def best_lexical(claim: Features, sources: list[Sourced]) -> float | None:
    """The best window's stem coverage: `align(...).lexical` without similarities, cheaply.

    Enough to tell a near-verbatim quote (which needs no embedding) from a paraphrase.
    """
    scores = [coverage(claim, w) for _, index in sources for w in index.windows]
    return max(scores) if scores else None


def _cover(
    claim: Features, sources: list[Sourced]
) -> tuple[float, frozenset[str], tuple[Features, ...], int]:
    """Greedy set cover of the claim's stems by whole sentences of all the sources."""
    left = set(claim.stems)
    chosen: list[Features] = []
    used: set[str] = set()
    for _ in range(COVER_SENTENCES):
        if not left:
            break
        gain, pick, origin = 0, None, None
        for source_id, index in sources:
            for sentence in index.sentences:
                g = len(left & sentence.features.stems)
                if g > gain:
                    gain, pick, origin = g, sentence.features, source_id
        if pick is None:
            break
        chosen.append(pick)
        used.add(str(origin))
        left -= pick.stems
    share = 1 - len(left) / len(claim.stems) if claim.stems else 0.0
    return share, frozenset(left), tuple(chosen), len(used)


def weighted_coverage(claim: Features, window: Window, sources: list[Sourced]) -> float:
    """Coverage where each stem weighs log(1 + sentences / sentences containing it)."""
    return _weighted(claim, window, stem_weights(claim, sources))


def stem_weights(claim: Features, sources: list[Sourced]) -> dict[str, float]:
    """Each claim stem's rarity weight in `sources`: log(1 + sentences / sentences with it)."""
    n = sum(len(index.sentences) for _, index in sources) or 1
    return {
        s: math.log(1 + n / (1 + sum(index.frequency.get(s, 0) for _, index in sources)))
        for s in claim.stems
    }


def _weighted(claim: Features, window: Window, weights: Mapping[str, float]) -> float:
    total = sum(weights.values())
    hit = sum(weights[s] for s in claim.stems & window.features.stems)
    return hit / total if total else 0.0


def candidates(claim: Features, sources: list[Sourced], k: int) -> set[str]:
    """The k sentences of each source with the most rare-word overlap, to be embedded."""
    out: set[str] = set()
    for source in sources:
        _, index = source
        weights = stem_weights(claim, [source])
        ranked = sorted(
            ((_weighted(claim, w, weights), index.quote(w)) for w in index.sentences),
            reverse=True,
        )
        out |= {quote for score, quote in ranked[:k] if score > 0}
    return out
