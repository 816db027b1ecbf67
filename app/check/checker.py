"""CitationChecker: splits an answer into claims, asks a judge about each, and scores the answer.

Scoring follows ALCE (Gao et al., 2023). Citation recall is the share of claims that their
citations support together. A citation is irrelevant when it does not support the claim alone and
removing it does not change whether the rest do; precision is the share of citations that are not
irrelevant. Both need only "supported or not" per citation subset, which is why judges are asked
about subsets in a second, smaller batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.check.claims import Claim, split_claims
from app.check.judges import ChatModel, Judge, make_judge
from app.check.models import (
    REASON_TEXT,
    CheckReport,
    CitationCheck,
    CitationId,
    Judgement,
    Problem,
    SentenceCheck,
    SourceText,
    SupportQuery,
)
from app.check.quotes import quote_occurs
from app.check.strip import strip_unsupported

if TYPE_CHECKING:
    from core.settings import Settings
    from ingest.embed import Embedder


def _key(source_id: CitationId) -> str:
    """Ids compare as text, so a marker `[1]` finds a source whose id is "1"."""
    return str(source_id).strip()


@dataclass
class _Item:
    """Bookkeeping for one claim while its judgements come in."""

    claim: Claim
    valid: list[SourceText]
    invalid: list[CitationId]
    joint: Judgement | None = None


class CitationChecker:
    """Checks that every sentence of an answer is supported by the sources it cites."""

    def __init__(self, judge: Judge, threshold: float = 0.8, strict: bool = False) -> None:
        self.judge = judge
        self.threshold = threshold
        self.strict = strict

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None, chat: ChatModel | None = None
    ) -> CitationChecker:
        return cls(
            make_judge(settings, embedder, chat), settings.check_threshold, settings.check_strict
        )

    def check(
        self,
        answer: str,
        sources: Sequence[SourceText],
        quotes: dict[CitationId, str] | None = None,
        extra_sources: Iterable[SourceText] = (),
    ) -> CheckReport:
        """Judge every claim of `answer` against the sources it cites.

        `sources` are the sources the answer may cite (ids as in its markers); `extra_sources` are
        other retrieved passages. Any source a sentence does not cite is a candidate for
        `wrong_source`. `quotes` maps a citation id to the quote the answer attributes to it.
        """
        by_id = {_key(s.id): s for s in sources}
        pool = list(sources) + [s for s in extra_sources if _key(s.id) not in by_id]
        claims = split_claims(answer)
        items = [self._item(c, by_id) for c in claims if c.is_claim]
        joint = self.judge.judge([self._query(item, pool) for item in items])
        for item, judgement in zip(items, joint, strict=True):
            item.joint = judgement
        alone = self._subset_support(items)
        sentences = self._sentences(claims, items, alone, quotes or {}, by_id)
        report = self._report(sentences, quotes or {}, by_id)
        if self.strict:
            report.strict_answer = strip_unsupported(answer, report)
        return report

    # --- judging --------------------------------------------------------------------------

    @staticmethod
    def _item(claim: Claim, by_id: dict[str, SourceText]) -> _Item:
        valid = [by_id[_key(c)] for c in claim.citations if _key(c) in by_id]
        invalid = [c for c in claim.citations if _key(c) not in by_id]
        return _Item(claim, valid, invalid)

    @staticmethod
    def _query(item: _Item, pool: list[SourceText]) -> SupportQuery:
        cited = {_key(s.id) for s in item.valid}
        others = tuple(s for s in pool if _key(s.id) not in cited)
        return SupportQuery(item.claim.text, tuple(item.valid), others)

    def _subset_support(self, items: list[_Item]) -> dict[tuple[int, frozenset[str]], bool]:
        """Support by each single citation and each leave-one-out set, for supported multi-cites."""
        asks: dict[tuple[int, frozenset[str]], SupportQuery] = {}
        for n, item in enumerate(items):
            if len(item.valid) < 2 or item.joint is None or not item.joint.supported:
                continue
            for source in item.valid:
                asks[(n, frozenset({_key(source.id)}))] = SupportQuery(item.claim.text, (source,))
                rest = tuple(s for s in item.valid if s is not source)
                asks.setdefault(
                    (n, frozenset(_key(s.id) for s in rest)), SupportQuery(item.claim.text, rest)
                )
        if not asks:
            return {}
        verdicts = self.judge.judge(list(asks.values()))
        return {key: v.supported for key, v in zip(asks, verdicts, strict=True)}

    # --- assembling -----------------------------------------------------------------------

    def _sentences(
        self,
        claims: list[Claim],
        items: list[_Item],
        subsets: dict[tuple[int, frozenset[str]], bool],
        quotes: dict[CitationId, str],
        by_id: dict[str, SourceText],
    ) -> list[SentenceCheck]:
        quote_of = {_key(k): v for k, v in quotes.items()}
        judged = {item.claim.index: (n, item) for n, item in enumerate(items)}
        out = []
        for claim in claims:
            located = {"index": claim.index, "text": claim.text, "start": claim.start,
                       "end": claim.end, "citations": list(claim.citations)}
            if claim.index not in judged:
                out.append(SentenceCheck(**located, verdict="not_a_claim"))
                continue
            n, item = judged[claim.index]
            j = item.joint or Judgement("unsupported", 0.0, "low_similarity")
            verdict, reason, message = j.verdict, j.reason, j.message
            if not claim.citations:
                verdict, reason = "unsupported", "no_citation"
                hint = (
                    f"; source {j.supported_by} supports it" if j.supported_by is not None else ""
                )
                message = REASON_TEXT["no_citation"] + hint
            elif not item.valid:
                verdict, reason = "unsupported", "invalid_citation"
                message = f"no source has id {', '.join(map(str, item.invalid))}"
            failed = verdict != "supported"
            out.append(
                SentenceCheck(
                    **located,
                    verdict=verdict,
                    score=round(j.score, 4),
                    best_quote=j.best_quote,
                    best_source=j.best_source,
                    reason=reason if failed else None,
                    message=message if failed else None,
                    supported_by=j.supported_by,
                    citation_checks=self._citation_checks(n, item, subsets, quote_of, by_id),
                )
            )
        return out

    @staticmethod
    def _citation_checks(
        n: int,
        item: _Item,
        subsets: dict[tuple[int, frozenset[str]], bool],
        quote_of: dict[str, str],
        by_id: dict[str, SourceText],
    ) -> list[CitationCheck]:
        """ALCE relevance of each citation of claim `n`, plus its quote check."""
        jointly = item.joint is not None and item.joint.supported
        cited = frozenset(_key(s.id) for s in item.valid)
        checks = []
        for cid in item.claim.citations:
            key = _key(cid)
            valid = key in by_id
            if not valid or not jointly:
                # An unsupported sentence: no citation supports it, and removing one changes
                # nothing, so every citation is irrelevant.
                supports, irrelevant = False, True
            elif len(cited) == 1:
                supports, irrelevant = True, False
            else:
                supports = subsets.get((n, frozenset({key})), False)
                irrelevant = not supports and subsets.get((n, cited - {key}), False)
            quote = quote_of.get(key)
            checks.append(
                CitationCheck(
                    id=cid,
                    valid=valid,
                    supports=supports,
                    irrelevant=irrelevant,
                    quote=quote,
                    quote_found=quote_occurs(quote, by_id[key].text) if quote and valid else None,
                )
            )
        return checks

    def _report(
        self,
        sentences: list[SentenceCheck],
        quotes: dict[CitationId, str],
        by_id: dict[str, SourceText],
    ) -> CheckReport:
        claims = [s for s in sentences if s.verdict != "not_a_claim"]
        citations = [c for s in claims for c in s.citation_checks]
        supported = sum(s.verdict == "supported" for s in claims)
        partial = sum(s.verdict == "partial" for s in claims)
        problems = [
            Problem(
                sentence_index=s.index, reason=s.reason, message=s.message or REASON_TEXT[s.reason]
            )
            for s in claims
            if s.reason is not None
        ]
        for s in claims:
            for c in s.citation_checks:
                if not c.valid and s.reason != "invalid_citation":
                    problems.append(
                        Problem(
                            sentence_index=s.index,
                            reason="invalid_citation",
                            message=f"no source has id {c.id}",
                            citation=c.id,
                        )
                    )
        problems += self._quote_problems(sentences, quotes, by_id)
        n = len(claims)
        recall = supported / n if n else 1.0
        relevant = sum(not c.irrelevant for c in citations)
        return CheckReport(
            sentences=sentences,
            recall=recall,
            partial_recall=(supported + 0.5 * partial) / n if n else 1.0,
            precision=relevant / len(citations) if citations else 1.0,
            passed=recall >= self.threshold and all(c.valid for c in citations),
            threshold=self.threshold,
            judge=getattr(self.judge, "name", type(self.judge).__name__),
            n_claims=n,
            n_citations=len(citations),
            problems=sorted(problems, key=lambda p: p.sentence_index),
        )

    @staticmethod
    def _quote_problems(
        sentences: list[SentenceCheck], quotes: dict[CitationId, str], by_id: dict[str, SourceText]
    ) -> list[Problem]:
        """One problem per quote that its (existing) source does not contain."""
        problems = []
        for cid, quote in quotes.items():
            source = by_id.get(_key(cid))
            if source is None or quote_occurs(quote, source.text):
                continue
            citing = [s.index for s in sentences if _key(cid) in map(_key, s.citations)]
            problems.append(
                Problem(
                    sentence_index=citing[0] if citing else -1,
                    reason="quote_not_found",
                    message=f"quote “{quote[:80]}” does not occur in source {cid}",
                    citation=cid,
                )
            )
        return problems
