"""OfflineJudge: alignment features, embeddings and a learned decision; no network.

Each claim, and each of its atomic parts, is aligned against every sentence of every cited source
(`align`). Only when the lexical alignment is not already near-verbatim are the claim, its parts
and their best candidate sentences embedded — in one batch per call, through the shared embedding
cache. The alignment scores and the discrete comparisons of `evidence` (figures, dates and units,
negation and antonyms, names, levels, roles) become the features of a logistic regression
(`support_model`) whose probability is the verdict's score. Discrete checks that the dev data
showed to help may veto a high probability; the others only inform it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.check.align import Alignment, Sourced, align, best_lexical, candidates
from app.check.atoms import atomic_parts
from app.check.evidence import (
    antonym_issue,
    index_source,
    level_issue,
    missing_names,
    name_issue,
    negation_issue,
    number_issue,
    role_issue,
)
from app.check.features import Features, analyse, tokens
from app.check.models import REASON_TEXT, Judgement, Reason, SupportQuery
from app.check.numbers import missing_numbers
from app.check.support_model import SupportModel, load_support_model
from app.embedding_cache import EmbeddingCache

if TYPE_CHECKING:
    from ingest.embed import Embedder


@dataclass(frozen=True)
class Thresholds:
    """Alignment knobs (not decision thresholds: those live in the support model file)."""

    # Weight of embedding similarity against lexical coverage when both are known.
    semantic_weight: float = 0.7
    # Lexical coverage at which a claim is a (near-)verbatim quote and needs no embedding: the
    # extractive answerer's sentences, which must stay cheap on every /v1/ask.
    verbatim: float = 0.95
    # Sentences embedded per claim and cited source (per part: fewer), and per claim over all
    # uncited sources together (those only matter for wrong_source).
    cited_candidates: int = 4
    part_candidates: int = 2
    other_candidates: int = 3
    # A part aligned at least `strong_part` while another stays under `weak_part` makes the
    # sentence partial (extra_clause). Carried over from the hand calibration on
    # tests/data/checker_cases.jsonl that the former thresholds had.
    strong_part: float = 0.62
    weak_part: float = 0.45


# The features the support model reads, in order. See `_features` for their meaning.
FEATURES = (
    "lexical", "weighted", "support", "dense", "dense_top", "cover", "anywhere", "missing",
    "log_stems", "part_min", "part_cover_min", "n_parts", "numbers", "numbers_anywhere",
    "names", "level", "role", "negation", "antonym", "sources_used",
)  # fmt: skip
# Which discrete check produces which reason, in the order they are reported.
CHECKS: tuple[tuple[str, Reason], ...] = (
    ("numbers", "number_mismatch"),
    ("negation", "negation"),
    ("antonym", "negation"),
    ("names", "entity_mismatch"),
    ("level", "entity_mismatch"),
    ("role", "entity_mismatch"),
)


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


@dataclass(frozen=True)
class Assessment:
    """Everything known about one claim against one set of sources, before the decision."""

    whole: Alignment
    parts: list[Alignment | None]
    issues: dict[str, str]  # check name -> message, for the checks that found a problem
    values: dict[str, float]  # the model's features


class OfflineJudge:
    """The default judge: alignment, embedding similarity where needed, a learned decision.

    Safe to share between threads: per-call state lives in a `_Scoring`, and the embedding
    cache locks around its bookkeeping.
    """

    name = "offline"

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        thresholds: Thresholds | None = None,
        model: SupportModel | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.t = thresholds or Thresholds()
        self.model = model or load_support_model()
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
        scoring = _Scoring(self.t, self.model, self._similarities(plans))
        return [scoring.decide(p) for p in plans]

    def assessments(self, queries: Sequence[SupportQuery]) -> list[Assessment | None]:
        """The features of each claim against its cited sources (what training fits on)."""
        plans = [self._plan(q) for q in queries]
        scoring = _Scoring(self.t, self.model, self._similarities(plans))
        return [scoring.assessment(p, p.cited) for p in plans]

    def _plan(self, query: SupportQuery) -> _Plan:
        """Lexical pass: features, and which texts need embeddings to be judged."""
        claim = analyse(query.claim)
        parts = [analyse(c) for c in atomic_parts(query.claim)]
        cited = [(s.id, index_source(s.text)) for s in query.cited]
        others = [(s.id, index_source(s.text)) for s in query.others]
        plan = _Plan(query, claim, parts, cited, others)
        if self.cache is None:
            return plan
        lexical = best_lexical(claim, cited)
        if lexical is not None and lexical >= self.t.verbatim:
            return plan
        plan.semantic.add(claim.text)
        plan.candidates |= candidates(claim, cited, self.t.cited_candidates)
        plan.candidates |= _top_overall(claim, others, self.t.other_candidates)
        if len(parts) > 1:
            for part in parts:
                plan.semantic.add(part.text)
                plan.candidates |= candidates(part, cited, self.t.part_candidates)
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


class _Scoring:
    """Verdicts for plans, given the similarities computed for this call."""

    def __init__(
        self, thresholds: Thresholds, model: SupportModel, sims: dict[tuple[str, str], float]
    ) -> None:
        self.t = thresholds
        self.model = model
        self.sims = sims

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

    def assessment(self, plan: _Plan, sources: list[Sourced]) -> Assessment | None:
        whole = align(plan.claim, sources, self.sims, self.t.semantic_weight)
        if whole is None:
            return None
        parts = (
            [align(p, sources, self.sims, self.t.semantic_weight) for p in plan.parts]
            if len(plan.parts) > 1
            else []
        )
        # Polarity and roles are judged on the aligned predicate: the best window of the claim
        # and of each part. Figures may come from any sentence of the cover (a synthesis).
        aligned = list(
            dict.fromkeys([whole.window.features, *(a.window.features for a in parts if a)])
        )
        # A figure may sit in the heading the aligned sentence belongs to ("#### Engineer 2").
        headings = [a.index.heading_of(a.window) for a in (whole, *parts) if a]
        evidence = list(dict.fromkeys([*aligned, *whole.evidence, *filter(None, headings)]))
        indexes = [index for _, index in sources]
        found = {
            "numbers": number_issue(plan.claim, evidence),
            "negation": negation_issue(plan.claim, aligned),
            "antonym": antonym_issue(plan.claim, aligned),
            "names": name_issue(plan.claim, indexes),
            "level": level_issue(plan.claim, indexes),
            "role": role_issue(plan.claim, aligned),
        }
        issues = {name: message for name, message in found.items() if message}
        embedded = plan.claim.text in plan.semantic
        values = _features(plan.claim, whole, parts, evidence, indexes, issues, embedded)
        return Assessment(whole, parts, issues, values)

    def assess(self, plan: _Plan, sources: list[Sourced]) -> Judgement:
        a = self.assessment(plan, sources)
        if a is None:
            return Judgement("unsupported", 0.0, "low_similarity", REASON_TEXT["low_similarity"])
        where = dict(best_source=a.whole.source_id, best_quote=a.whole.quote)
        p = self.model.probability(a.values)
        vetoed = [(name, reason) for name, reason in CHECKS if name in a.issues
                  and name in self.model.vetoes]  # fmt: skip
        if p >= self.model.threshold and not vetoed:
            return Judgement("supported", p, **where)
        if weak := self._weak_part(plan, a):
            return Judgement("partial", min(p, self.model.threshold), "extra_clause",
                             f"not supported: “{weak}”", **where)  # fmt: skip
        # A figure or name only explains the failure of a sentence that otherwise aligns.
        aligned = a.whole.support >= self.t.weak_part
        for name, reason in CHECKS:
            if name in a.issues and aligned:
                return Judgement("unsupported", min(p, self.model.partial_threshold), reason,
                                 a.issues[name], **where)  # fmt: skip
        if p >= self.model.partial_threshold:
            words = _words_for(plan.claim, a.whole)
            message = f"not supported: “{words}”" if words else REASON_TEXT["low_similarity"]
            return Judgement("partial", p, "low_similarity", message, **where)
        return Judgement("unsupported", p, "low_similarity", REASON_TEXT["low_similarity"],
                         **where)  # fmt: skip


    def _weak_part(self, plan: _Plan, a: Assessment) -> str | None:
        """The unsupported words of a part that fails while another part is well backed.

        A part fails when it aligns weakly or states a figure its evidence does not.
        """
        if not a.parts:
            return None  # a single fact: its failure has a reason of its own
        strong, weak = False, None
        for part, found in zip(plan.parts, a.parts, strict=True):
            figures = found and number_issue(part, [found.window.features, *found.evidence])
            if found is None or found.support < self.t.weak_part or figures:
                words = _words_for(part, found)
                extra = [q.text for q in part.numbers if q.text not in words] if figures else []
                weak = weak or " ".join([words, *extra])
            elif found.support >= self.t.strong_part:
                strong = True
        return weak if strong else None


def _features(
    claim: Features,
    whole: Alignment,
    parts: list[Alignment | None],
    evidence: list[Features],
    sources: list,
    issues: dict[str, str],
    embedded: bool,
) -> dict[str, float]:
    """The model's inputs. A claim judged without embeddings (near-verbatim) gets its lexical
    coverage as its dense similarity, which is what the embedding of a verbatim quote gives."""
    dense, dense_top = (whole.dense, whole.dense_top) if embedded else (whole.lexical,) * 2
    part_support = [p.support if p else 0.0 for p in parts] or [whole.support]
    part_cover = [p.cover if p else 0.0 for p in parts] or [whole.cover]
    stated = [q for f in evidence for q in f.numbers]
    everywhere = [q for index in sources for q in index.features.numbers]
    return {
        "lexical": whole.lexical,
        "weighted": whole.weighted,
        "support": whole.support,
        "dense": dense,
        "dense_top": dense_top,
        "cover": whole.cover,
        "anywhere": whole.anywhere,
        "missing": min(len(whole.missing), 8) / 8,
        "log_stems": math.log1p(len(claim.stems)),
        "part_min": min(part_support),
        "part_cover_min": min(part_cover),
        "n_parts": float(len(parts) or 1),
        "numbers": float(min(len(missing_numbers(claim.numbers, tuple(stated))), 3)),
        "numbers_anywhere": float(min(len(missing_numbers(claim.numbers, tuple(everywhere))), 3)),
        "names": float(min(len(missing_names(claim, sources)), 3)),
        "level": float("level" in issues),
        "role": float("role" in issues),
        "negation": float("negation" in issues),
        "antonym": float("antonym" in issues),
        "sources_used": float(whole.sources_used),
    }


def _words_for(claim: Features, alignment: Alignment | None) -> str:
    """The claim's words whose stems the alignment found nowhere, in the claim's order."""
    if alignment is None:
        return claim.text
    missing = alignment.missing
    words = [w for w in tokens(claim.text) if w not in ",;:" and analyse(w).stems & missing]
    return " ".join(dict.fromkeys(words)) or claim.text


def _top_overall(claim: Features, sources: list[Sourced], k: int) -> set[str]:
    """The k sentences of all `sources` together with the most lexical overlap with the claim."""
    ranked = sorted(
        (
            (len(claim.stems & w.features.stems), index.quote(w))
            for _, index in sources
            for w in index.sentences
        ),
        reverse=True,
    )
    return {quote for score, quote in ranked[:k] if score > 0}
