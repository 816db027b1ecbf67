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
from eval.corpus import Corpus, FetchedPages
from eval.metrics import SentenceJudgement, quote_found
from eval.targets import AnswerRecord, CitedSource

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


def pick_answer_judge(settings: Settings, embedder: Embedder) -> AnswerJudge:
    """The LLM judge when an endpoint is configured, else the offline checker (labelled)."""
    from app.check.offline import OfflineJudge

    offline = OfflineJudge(embedder)
    if settings.llm_base_url:
        from app.check.llm_judge import LLMJudge
        from app.llm import OpenAIChat

        same = settings.judge == "llm"
        label = f"LLM judge ({settings.llm_model})" + (
            " — also the checker's judge, so not independent" if same else ""
        )
        return AnswerJudge(LLMJudge(OpenAIChat.from_settings(settings), fallback=offline),
                           label, independent=not same)
    return AnswerJudge(offline, "offline checker (the checker under test; not independent)",
                       independent=False)


class EvidenceLookup:
    """The text a citation points at: its passage when we can find it, else its quote.

    Order: text the target sent with the citation, the stored chunk (by chunk id), the
    quote. The passage is the fair ALCE evidence; a bare quote is stricter, so answers
    judged on quotes can only look worse, never better.
    """

    def __init__(self, store: Any | None = None) -> None:
        self.store = store
        self.used: dict[str, int] = {"passage": 0, "chunk": 0, "quote": 0, "none": 0}
        self._chunks: dict[str, str] = {}

    def prefetch(self, records: Sequence[AnswerRecord]) -> None:
        """Read every cited chunk in one store call instead of one per citation."""
        if self.store is None:
            return
        wanted = sorted({cid for r in records for c in r.citations if not c.text
                         for cid in (c.chunk_id, *c.more_chunk_ids) if cid} - set(self._chunks))
        if wanted:
            self._chunks.update({chunk.id: chunk.text for chunk in self.store.get(wanted)})

    def chunk_text(self, citation: CitedSource) -> str | None:
        """The cited chunk's text; for an article cited for several quotes, every
        quoted chunk's, in order."""
        texts = [self._chunks[cid] for cid in (citation.chunk_id, *citation.more_chunk_ids)
                 if cid and cid in self._chunks]
        return "\n\n".join(texts) if texts else None

    def text(self, citation: CitedSource) -> str:
        if citation.text:
            self.used["passage"] += 1
            return citation.text
        if chunk := self.chunk_text(citation):
            self.used["chunk"] += 1
            return chunk
        if citation.quote:
            self.used["quote"] += 1
            return citation.quote
        self.used["none"] += 1
        return ""


@dataclass
class _Plan:
    """The judge queries for one claim, and where their answers go."""

    text: str
    cited: tuple[Any, ...]
    invalid: tuple[Any, ...]
    has_evidence: bool = False  # some cited id names a source with text
    queries: list[tuple[str, Any, SupportQuery]] = field(default_factory=list)


def judge_answer(
    record: AnswerRecord, judge: Judge, evidence: EvidenceLookup
) -> list[SentenceJudgement]:
    """Per-claim support by the citations together, alone and without each (for ALCE).

    All queries of one answer go to the judge in one batch. Sources the claim does not
    cite (the answer's other citations and every retrieved passage) are passed as
    `others`, so the judge can say whether an unsupported claim was misattributed.
    """
    by_id = {str(c.id): c for c in record.citations}
    texts = {str(c.id): evidence.text(c) for c in record.citations}
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
        valid = [c for c in cited if str(c) in by_id and texts[str(c)]]
        invalid = tuple(c for c in cited if str(c) not in by_id)
        plan = _Plan(claim.text, cited, invalid, has_evidence=bool(valid))
        sources = [SourceText(id=str(c), text=texts[str(c)]) for c in valid]
        others = tuple(s for s in pool if str(s.id) not in {str(c) for c in valid})
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
                # Uncited, or citing only ids that name nothing: no evidence, no support,
                # whatever a judge makes of an empty source list.
                support = _SCORE[verdict.verdict] if plan.has_evidence else 0.0
                if not verdict.supported:
                    elsewhere = verdict.supported_by is not None
            elif role == "alone":
                alone[cid] = _SCORE[verdict.verdict]
            else:
                without[cid] = _SCORE[verdict.verdict]
        if len([c for c in plan.cited if c not in plan.invalid]) == 1:
            only = next(c for c in plan.cited if c not in plan.invalid)
            alone[only] = support
        out.append(SentenceJudgement(
            text=plan.text, cited=plan.cited, invalid=plan.invalid, support=support,
            alone=alone, without=without, supported_elsewhere=elsewhere,
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
