"""Judging answers: which sentences their citations support, by a judge we can name.

The eval prefers judges independent of the checker under test: an LLM over an
OpenAI-compatible endpoint when `settings.llm_base_url` is set. Without one it falls
back to the offline checker's own judge and says so, because a checker grading answers
it also produced the checks for is an upper bound, not a measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.check.claims import split_claims
from app.check.models import Judgement, SourceText, SupportQuery
from eval.answer_citations import citation_key, citation_lookup, resolve_id
from eval.corpus import Corpus, FetchedPages
from eval.metrics import SentenceJudgement, quote_found
from eval.targets import AnswerRecord, CitedSource
from eval.url_sources import UrlResolver

if TYPE_CHECKING:
    from app.check.judges import Judge
    from core.settings import Settings
    from ingest.embed import Embedder

_SCORE = {"supported": 1.0, "partial": 0.5, "unsupported": 0.0}


@dataclass(frozen=True)
class AnswerJudge:
    """A judge with the label the report prints next to every figure it produced."""

    judge: Judge
    label: str
    independent: bool


def pick_answer_judge(
    settings: Settings, embedder: Embedder, *, scoring_careerqa: bool = True
) -> AnswerJudge:
    """The LLM judge when an endpoint is configured, else the offline checker (labelled).

    The label says what the judge is to the answers it scores: careerqa's checker grading
    careerqa's own answers is the checker under test (an upper bound, not a measurement),
    while for another system's answers it is simply the judge.
    """
    from app.check.offline import OfflineJudge

    offline = OfflineJudge(embedder)
    if settings.llm_base_url:
        from app.check.llm_judge import LLMJudge
        from app.llm import OpenAIChat

        same = settings.judge == "llm" and scoring_careerqa
        label = f"LLM judge ({settings.llm_model})" + (
            " — also the checker's judge, so not independent" if same else ""
        )
        return AnswerJudge(LLMJudge(OpenAIChat.from_settings(settings), fallback=offline),
                           label, independent=not same)
    if not scoring_careerqa:
        return AnswerJudge(offline, "careerqa's offline checker as the judge", independent=True)
    return AnswerJudge(offline, "offline checker (the checker under test; not independent)",
                       independent=False)


class EvidenceLookup:
    """The text a citation points at: its passage when we can find it, else its quote or page.

    Order: text the target sent with the citation (or the answer's footnote gave), the
    stored chunk (by chunk id), the quote, and last the cited page itself, from the local
    store or fetched (`UrlResolver`). The passage is the fair ALCE evidence; a bare quote
    is stricter, so answers judged on quotes can only look worse, never better. A page is
    the only evidence a URL-only citation has.
    """

    def __init__(self, store: Any | None = None, pages: UrlResolver | None = None) -> None:
        self.store = store
        self.pages = pages
        self.used: dict[str, int] = {via: 0 for via in EVIDENCE_KINDS}
        self._chunks: dict[str, str] = {}

    def prefetch(self, records: Sequence[AnswerRecord]) -> None:
        """Read every cited chunk in one store call, and resolve URL-only citations together."""
        if self.store is not None:
            wanted = sorted({cid for r in records for c in r.citations if not c.text
                             for cid in (c.chunk_id, *c.more_chunk_ids) if cid} - set(self._chunks))
            if wanted:
                self._chunks.update({chunk.id: chunk.text for chunk in self.store.get(wanted)})
        if self.pages is not None:
            self.pages.prefetch(c.url for r in records for c in r.citations
                                if c.url and not (c.text or self.chunk_text(c) or c.quote))

    def chunk_text(self, citation: CitedSource) -> str | None:
        """The cited chunk's text; for an article cited for several quotes, every
        quoted chunk's, in order."""
        texts = [self._chunks[cid] for cid in (citation.chunk_id, *citation.more_chunk_ids)
                 if cid and cid in self._chunks]
        return "\n\n".join(texts) if texts else None

    def lookup(self, citation: CitedSource) -> tuple[str, str, str]:
        """(text, where it came from, why there is none) for one citation; nothing counted."""
        if citation.text:
            return citation.text, "passage", ""
        if chunk := self.chunk_text(citation):
            return chunk, "chunk", ""
        if citation.quote:
            return citation.quote, "quote", ""
        if self.pages is not None and citation.url:
            page = self.pages.resolve(citation.url)
            return page.text or "", page.via, page.detail
        return "", "unresolved", "no text, quote or URL"

    def text(self, citation: CitedSource) -> str:
        text, via, _ = self.lookup(citation)
        self.used[via] += 1
        return text

    def describe(self, record: AnswerRecord) -> list[dict[str, Any]]:
        """Per citation of `record`: its id, URL and where its evidence came from."""
        rows = []
        for citation in record.citations:
            _, via, detail = self.lookup(citation)
            rows.append({"id": citation.id, "url": citation.url, "via": via}
                        | ({"detail": detail} if detail else {}))
        return rows


EVIDENCE_KINDS = ("passage", "chunk", "quote", "store", "fetched", "unresolved")


@dataclass
class _Plan:
    """The judge queries for one claim, and where their answers go."""

    text: str
    cited: tuple[Any, ...]
    invalid: tuple[Any, ...]
    empty: tuple[Any, ...] = ()
    queries: list[tuple[str, Any, SupportQuery]] = field(default_factory=list)

    @property
    def with_evidence(self) -> list[Any]:
        return [c for c in self.cited if c not in self.invalid and c not in self.empty]


def judge_answer(
    record: AnswerRecord, judge: Judge, evidence: EvidenceLookup
) -> list[SentenceJudgement]:
    """Per-claim support by the citations together, alone and without each (for ALCE).

    All queries of one answer go to the judge in one batch. Sources the claim does not
    cite (the answer's other citations and every retrieved passage) are passed as
    `others`, so the judge can say whether an unsupported claim was misattributed.

    A cited id that names no citation is invalid and, as in ALCE, the sentence gets no
    support at all; a citation whose source has no text (no passage, quote or resolvable
    page) is "empty": it cannot support anything, so the sentence is judged on its other
    citations and the empty one is never needed for precision (eval/README.md).
    """
    table = citation_lookup(record.citations)
    texts = {citation_key(c.id): evidence.text(c) for c in record.citations}
    pool = [SourceText(id=i, text=t) for i, t in texts.items() if t]
    for n, r in enumerate(record.retrieved or []):
        if r.text:
            pool.append(SourceText(id=f"r{n + 1}", text=r.text))

    plans: list[_Plan] = []
    for claim in split_claims(record.answer):
        if not claim.is_claim:
            plans.append(_Plan(claim.text, (), ()))
            continue
        cited = tuple(claim.citations)
        named = {c: resolve_id(table, c) for c in cited}
        invalid = tuple(c for c in cited if named[c] is None)
        empty = tuple(c for c in cited if named[c] is not None
                      and not texts[citation_key(named[c].id)])  # type: ignore[union-attr]
        plan = _Plan(claim.text, cited, invalid, empty)
        valid = plan.with_evidence
        sources = [SourceText(id=str(c), text=texts[citation_key(named[c].id)])  # type: ignore[union-attr]
                   for c in valid]
        used = {citation_key(named[c].id) for c in valid}  # type: ignore[union-attr]
        others = tuple(s for s in pool if str(s.id) not in used)
        plan.queries.append(("joint", None, SupportQuery(claim.text, tuple(sources), others)))
        if len(sources) > 1:
            for i, source in enumerate(sources):
                rest = tuple(sources[:i] + sources[i + 1 :])
                plan.queries.append(("alone", valid[i], SupportQuery(claim.text, (source,))))
                plan.queries.append(("without", valid[i], SupportQuery(claim.text, rest)))
        plans.append(plan)

    queries = [q for p in plans for _, _, q in p.queries]
    verdicts: list[Judgement] = judge.judge(queries) if queries else []
    out: list[SentenceJudgement] = []
    cursor = 0
    for plan in plans:
        if not plan.queries:
            out.append(SentenceJudgement(plan.text, is_claim=False))
            continue
        alone: dict[Any, float] = {}
        without: dict[Any, float] = {}
        support, elsewhere = 0.0, None
        for role, cid, _ in plan.queries:
            verdict = verdicts[cursor]
            cursor += 1
            if role == "joint":
                # Uncited, citing a missing id, or only empty sources: no support, whatever a
                # judge makes of the sources it was given.
                scored = bool(plan.with_evidence) and not plan.invalid
                support = _SCORE[verdict.verdict] if scored else 0.0
                if not verdict.supported:
                    elsewhere = verdict.supported_by is not None
            elif role == "alone":
                alone[cid] = _SCORE[verdict.verdict]
            else:
                without[cid] = _SCORE[verdict.verdict]
        if len(plan.with_evidence) == 1:
            alone[plan.with_evidence[0]] = support
        out.append(SentenceJudgement(
            text=plan.text, cited=plan.cited, invalid=plan.invalid, empty=plan.empty,
            support=support, alone=alone, without=without, supported_elsewhere=elsewhere,
        ))
    return out


def quote_checks(
    record: AnswerRecord, corpus: Corpus | FetchedPages | None, evidence: EvidenceLookup
) -> list[bool | None]:
    """For each citation with a quote: found verbatim in its source (None: source unknown)."""
    results: list[bool | None] = []
    for citation in record.citations:
        if not citation.quote:
            continue
        sources = [t for t in (citation.text, evidence.chunk_text(citation),
                               corpus.text_for(citation.url) if corpus else None) if t]
        if not sources:
            results.append(None)
            continue
        results.append(any(quote_found(citation.quote, s) for s in sources))
    return results
