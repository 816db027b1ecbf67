"""OfflineJudge: embeddings plus lexical evidence, no network, a few milliseconds per answer.

Each claim is aligned with the source sentence (or adjacent pair) that covers most of its content
stems. Only when that lexical evidence is not already conclusive are the claim and its best
candidate sentences embedded — in one batch per call, through a small LRU keyed by text — and the
cosine similarity blended in. The discrete checks of `evidence` then veto alignments that embeddings
would wave through: a changed figure, a flipped negation, a swapped name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.check.evidence import (
    SourceIndex,
    Window,
    coverage,
    entity_issue,
    index_source,
    negation_issue,
    number_issue,
)
from app.check.features import Features, analyse, clauses
from app.check.models import REASON_TEXT, CitationId, Judgement, Reason, SupportQuery
from app.embedding_cache import EmbeddingCache

if TYPE_CHECKING:
    from ingest.embed import Embedder

Sourced = tuple[CitationId, SourceIndex]


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs, calibrated on tests/data/checker_cases.jsonl (see tests/test_check.py)."""

    supported: float = 0.62
    partial: float = 0.45
    # Weight of embedding similarity against lexical coverage when both are known.
    semantic_weight: float = 0.7
    # Sentences embedded for a claim that needs semantics: the lexically closest ones of each
    # cited source, and of all uncited sources together (those only matter for wrong_source).
    cited_candidates: int = 3
    other_candidates: int = 3


@dataclass(frozen=True)
class _Match:
    score: float
    source_id: CitationId
    index: SourceIndex
    window: Window


@dataclass
class _Plan:
    """A query after the lexical pass: what it says and which texts need embedding."""

    query: SupportQuery
    claim: Features
    parts: list[Features]
    cited: list[Sourced]
    others: list[Sourced]
    semantic: set[str] = field(default_factory=set)
    candidates: set[str] = field(default_factory=set)


class OfflineJudge:
    """The default judge: lexical alignment, embedding similarity where needed, discrete checks.

    Safe to share between threads: per-call state lives in a `_Scoring`, and the embedding
    cache locks around its bookkeeping.
    """

    name = "offline"

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        thresholds: Thresholds | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.t = thresholds or Thresholds()
        self.cache = EmbeddingCache(embedder, cache_size) if embedder is not None else None

    def prewarm(self, source_texts: Iterable[str]) -> int:
        """Embed every sentence of these sources ahead of time; return how many were new.

        A service answering from a fixed corpus can call this at start-up, so checks only ever
        embed the answer's own sentences.
        """
        if self.cache is None:
            return 0
        sentences = [
            index.quote(w)
            for text in source_texts
            for index in [index_source(text)]
            for w in index.sentences
        ]
        before = len(self.cache)
        self.cache.vectors(sentences)
        return len(self.cache) - before

    def judge(self, queries: Sequence[SupportQuery]) -> list[Judgement]:
        plans = [self._plan(q) for q in queries]
        scoring = _Scoring(self.t, self._similarities(plans))
        return [scoring.decide(p) for p in plans]

    def _plan(self, query: SupportQuery) -> _Plan:
        """Lexical pass: features, and which texts need embeddings to be judged."""
        claim = analyse(query.claim)
        parts = [analyse(c) for c in clauses(query.claim)]
        cited = [(s.id, index_source(s.text)) for s in query.cited]
        others = [(s.id, index_source(s.text)) for s in query.others]
        plan = _Plan(query, claim, parts, cited, others)
        if self.cache is None:
            return plan
        lexical = _Scoring(self.t, {})
        for features in [claim] + (parts if len(parts) > 1 else []):
            match = lexical.best(features, cited)
            if match is None or match.score < self.t.supported:
                plan.semantic.add(features.text)
                for source in cited:
                    plan.candidates |= _top_sentences(features, [source], self.t.cited_candidates)
                plan.candidates |= _top_sentences(features, others, self.t.other_candidates)
        return plan

    def _similarities(self, plans: list[_Plan]) -> dict[tuple[str, str], float]:
        """Cosine similarity of every (claim text, candidate sentence) pair, from one batch."""
        texts = [t for p in plans for t in (*sorted(p.semantic), *sorted(p.candidates))]
        if self.cache is None or not texts:
            return {}
        vectors = self.cache.vectors(texts)
        return {
            (claim, sentence): float(np.dot(vectors[claim], vectors[sentence]))
            for p in plans
            for claim in p.semantic
            for sentence in p.candidates
        }


# A claim whose whole text aligns this well with one window is not blamed for a weak clause: the
# clause split, not the claim, is what went wrong.
WHOLE_CLAIM_MATCH = 0.95


class _Scoring:
    """Verdicts for plans, given the similarities computed for this call."""

    def __init__(self, thresholds: Thresholds, sims: dict[tuple[str, str], float]) -> None:
        self.t = thresholds
        self.sims = sims

    def best(self, claim: Features, sources: list[Sourced]) -> _Match | None:
        best: _Match | None = None
        for source_id, index in sources:
            for window in index.windows:
                score = self._blend(claim.text, index, window, coverage(claim, window))
                if best is None or score > best.score:
                    best = _Match(score, source_id, index, window)
        return best

    def _blend(self, claim: str, index: SourceIndex, window: Window, lexical: float) -> float:
        """Lexical coverage, raised by embedding similarity where the pair was embedded."""
        sims = [
            self.sims[(claim, quote)]
            for i in window.sentences
            if (claim, quote := index.quote(index.sentences[i])) in self.sims
        ]
        if not sims:
            return lexical
        w = self.t.semantic_weight
        return max(lexical, w * max(sims) + (1 - w) * max(lexical, 0.0))

    def decide(self, plan: _Plan) -> Judgement:
        verdict = self.assess(plan, plan.cited)
        if verdict.supported or not plan.others:
            return verdict
        rivals = [r for r in (self.assess(plan, [other]) for other in plan.others) if r.supported]
        if not rivals:
            return verdict
        rival = max(rivals, key=lambda r: r.score)
        return Judgement(
            verdict="unsupported",
            score=verdict.score,
            reason="wrong_source",
            message=f"source {rival.best_source} supports this, the cited source does not",
            best_source=rival.best_source,
            best_quote=rival.best_quote,
            supported_by=rival.best_source,
        )

    def assess(self, plan: _Plan, sources: list[Sourced]) -> Judgement:
        match = self.best(plan.claim, sources)
        if match is None:
            return Judgement("unsupported", 0.0, "low_similarity", REASON_TEXT["low_similarity"])
        where = dict(best_source=match.source_id, best_quote=match.index.quote(match.window))
        score = match.score
        evidence = [match.window.features]
        if len(plan.parts) > 1:
            part_matches = [self.best(part, sources) for part in plan.parts]
            part_scores = [m.score if m else 0.0 for m in part_matches]
            if min(part_scores) >= self.t.supported:
                # Each clause is backed, possibly by different sentences or sources.
                score = max(score, min(part_scores))
                evidence += [m.window.features for m in part_matches if m]
            elif max(part_scores) >= self.t.supported and score < WHOLE_CLAIM_MATCH:
                weak = plan.parts[part_scores.index(min(part_scores))].text
                score = _clip((score + min(part_scores)) / 2)
                message = f"not supported: “{weak}”"
                return Judgement("partial", score, "extra_clause", message, **where)
        if score < self.t.partial:
            message = REASON_TEXT["low_similarity"]
            return Judgement("unsupported", _clip(score), "low_similarity", message, **where)
        if issue := _discrete(plan.claim, [index for _, index in sources], evidence):
            reason, message = issue
            score = _clip(min(score, self.t.partial))
            return Judgement("unsupported", score, reason, message, **where)
        if score < self.t.supported:
            message = REASON_TEXT["low_similarity"]
            return Judgement("partial", _clip(score), "low_similarity", message, **where)
        return Judgement("supported", _clip(score), **where)


def _discrete(
    claim: Features, sources: list[SourceIndex], evidence: list[Features]
) -> tuple[Reason, str] | None:
    """The first check that vetoes the alignment: figures, then negation, then names."""
    if message := number_issue(claim, evidence):
        return "number_mismatch", message
    if message := negation_issue(claim, evidence):
        return "negation", message
    if message := entity_issue(claim, sources, evidence):
        return "entity_mismatch", message
    return None


def _top_sentences(claim: Features, sources: list[Sourced], k: int) -> set[str]:
    """The k single sentences of `sources` with the most lexical overlap with the claim."""
    ranked = sorted(
        ((coverage(claim, w), index.quote(w)) for _, index in sources for w in index.sentences),
        reverse=True,
    )
    return {quote for _, quote in ranked[:k]}


def _clip(score: float) -> float:
    return min(1.0, max(0.0, score))
